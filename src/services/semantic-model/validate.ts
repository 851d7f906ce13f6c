/**
 * The model checker as layers, in the order dbt MetricFlow validates: structure (the file and the
 * schema), semantics (the model as a whole), then layers that need the outside world (the live
 * database). A later layer runs only on a model that passed structure, since it needs one.
 * `npm run model:check` and, later, `project:add` (which stores a validated model) run this.
 */
import { checkSemanticModel } from './check.js';
import { issueAt, type ModelIssue, type SourceMap } from './issues.js';
import { canonical, checkExamples } from './matcher.js';
import { parseSemanticModel, type ParseOptions } from './parse.js';
import type { SemanticModel } from './schema.js';

export type LayerName = 'structure' | 'semantics' | 'database';

/** A check that needs a parsed model, e.g. the live-database layer. */
export interface ModelLayer {
  readonly name: LayerName;
  run(model: SemanticModel, sourceMap: SourceMap): Promise<ModelIssue[]>;
}

export type LayerResult =
  | { layer: LayerName; status: 'passed' }
  | { layer: LayerName; status: 'failed'; issues: ModelIssue[] }
  | { layer: LayerName; status: 'skipped'; reason: string };

export type Validation = { ok: boolean; model?: SemanticModel; layers: LayerResult[] };

export async function validateModelText(text: string, options: ParseOptions & { layers?: readonly ModelLayer[] } = {}): Promise<Validation> {
  const extra = options.layers ?? [];
  const parsed = parseSemanticModel(text, options);
  if (!parsed.ok) {
    const reason = 'the structure has errors';
    return {
      ok: false,
      layers: [
        { layer: 'structure', status: 'failed', issues: parsed.errors },
        { layer: 'semantics', status: 'skipped', reason },
        ...extra.map((layer): LayerResult => ({ layer: layer.name, status: 'skipped', reason })),
      ],
    };
  }
  const layers: LayerResult[] = [{ layer: 'structure', status: 'passed' }];
  const semantic = checkSemanticModel(parsed.model, { sourceMap: parsed.sourceMap });
  // Examples are resolved by the matcher, which needs a model whose references hold.
  layers.push(result('semantics', semantic.length > 0 ? semantic : exampleIssues(parsed.model, parsed.sourceMap)));
  // Independent of semantic errors: a dropped column is worth knowing about in the same run.
  for (const layer of extra) layers.push(result(layer.name, await layer.run(parsed.model, parsed.sourceMap)));
  return { ok: layers.every((l) => l.status === 'passed'), model: parsed.model, layers };
}

/** Every example question must resolve, deterministically, to exactly the query written beside it. */
export function exampleIssues(model: SemanticModel, sourceMap: SourceMap): ModelIssue[] {
  return checkExamples(model).map((mismatch) => {
    const message = mismatch.language
      ? `"${mismatch.question}" is read as ${mismatch.language.actual}, not ${mismatch.language.expected}`
      : mismatch.actual
        ? `"${mismatch.question}" resolves to ${canonical(mismatch.actual)}, not to the query written here; fix the query or add the words it needs`
        : `"${mismatch.question}" does not resolve to any query: add the words it uses to the model, or rephrase it`;
    return issueAt(['examples', mismatch.index, 'question'], message, sourceMap);
  });
}

function result(layer: LayerName, issues: ModelIssue[]): LayerResult {
  return issues.length === 0 ? { layer, status: 'passed' } : { layer, status: 'failed', issues };
}
