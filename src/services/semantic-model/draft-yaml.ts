/**
 * Writes a draft (draft.ts) as a model file a person will edit: the editor's JSON Schema header,
 * the draft's notes as comments next to what they explain, and the compact flow style of the
 * hand-written models for words, values and lists. Emitted by the `yaml` package's Document
 * API, so quoting (a "TODO: …" value, a code such as 'NO' or '1') is the library's job.
 */
import { Document, isCollection, isMap, isNode, isSeq } from 'yaml';
import type { Draft } from './draft.js';

export type DraftYamlOptions = {
  /** Path or URL of schemas/semantic-model.schema.json as the output file's editors see it. */
  schemaPath: string;
};

export function draftToYaml(draft: Draft, options: DraftYamlOptions): string {
  const doc = new Document(draft.document);
  doc.commentBefore = [`yaml-language-server: $schema=${options.schemaPath}`, '', ...draft.header].map(commentLine).join('\n');

  const models = doc.get('models', true);
  if (isSeq(models)) {
    models.items.forEach((model, i) => {
      if (!isMap(model)) return;
      if (i > 0) model.spaceBefore = true;
      // Short lists and small mappings read best on one line, as in models/*.yaml.
      for (const key of ['words', 'tenancy', 'columns']) flow(model.get(key, true));
      for (const listKey of ['dimensions', 'measures']) {
        const list = model.get(listKey, true);
        if (!isSeq(list)) continue;
        for (const member of list.items) {
          if (!isMap(member)) continue;
          flow(member.get('words', true));
          flow(member.get('granularities', true));
          const values = member.get('values', true);
          if (isSeq(values)) values.items.forEach(flow);
        }
      }
      const joins = model.get('joins', true);
      if (isSeq(joins)) joins.items.forEach(flow);
    });
  }

  for (const { path, text } of draft.comments) {
    const node = doc.getIn(path, true);
    if (!isNode(node)) continue;
    const lines = text.split('\n').map(commentLine).join('\n');
    node.commentBefore = node.commentBefore ? `${node.commentBefore}\n${lines}` : lines;
  }
  // lineWidth 0: a long TODO hint stays on its line instead of being folded mid-sentence.
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function flow(node: unknown): void {
  if (isCollection(node)) node.flow = true;
}

/** yaml writes `#` + the text: a leading space gives the usual `# text`. */
function commentLine(line: string): string {
  return line ? ` ${line}` : '';
}
