/**
 * The checker's "semantics" layer: what a schema cannot see because it needs the whole model.
 * Every reference resolves, every column used is exposed, every model has a tenancy that holds,
 * no word means two things, and every example query is one the model can answer.
 *
 * Input is an already parsed model (parse.ts); with its source map, issues carry line numbers.
 * Pure and synchronous: it runs on Workers when a project's model is stored.
 */
import { findTodoMarkers, formatPath, issueAt, sortIssues, todoMessage, valueAt, type ModelIssue, type ModelPath, type SourceMap } from './issues.js';
import {
  filterOperation,
  LANGUAGES,
  primaryTimeDimension,
  type Dimension,
  type MeasureFilter,
  type ModelDef,
  type QueryFilter,
  type SemanticModel,
  type SemanticQuery,
  type StoredValue,
  type Words,
} from './schema.js';
import { normalizeWords, wordKeys } from './words.js';

export type CheckOptions = { sourceMap?: SourceMap };

/** A problem found relative to some base path (a query checks against its own path). */
export type Finding = { path: ModelPath; message: string };

export function checkSemanticModel(model: SemanticModel, options: CheckOptions = {}): ModelIssue[] {
  const findings: Finding[] = [];
  const report = (path: ModelPath, message: string) => findings.push({ path, message });

  // Placeholders are normally stopped by the parser; a model built in code is checked here too.
  for (const path of findTodoMarkers(model)) report(path, todoMessage(String(valueAt(model, path))));

  reportDuplicates(
    model.models.map((m, i) => ({ key: m.name, path: ['models', i, 'name'] })),
    (name, first) => `model name "${name}" is already used by ${formatPath(first)}`,
    report,
  );
  model.models.forEach((def, index) => checkModel(model, def, ['models', index], report));
  checkWords(model, report, options.sourceMap);
  model.examples.forEach((example, index) => {
    for (const finding of checkQuery(model, example.query, ['examples', index, 'query'])) report(finding.path, finding.message);
  });

  return sortIssues(findings.map((f) => issueAt(f.path, f.message, options.sourceMap)));
}

// ---------------------------------------------------------------------------------------------
// One model
// ---------------------------------------------------------------------------------------------

function checkModel(project: SemanticModel, model: ModelDef, base: ModelPath, report: (path: ModelPath, message: string) => void): void {
  const exposed = new Set(model.columns);
  const requireColumn = (path: ModelPath, column: string) => {
    if (!exposed.has(column)) {
      report(path, `column "${column}" is not exposed: list it in ${formatPath([...base, 'columns'])} (now: ${model.columns.join(', ')})`);
    }
  };

  reportDuplicates(
    model.columns.map((column, i) => ({ key: column, path: [...base, 'columns', i] })),
    (column) => `column "${column}" is listed twice`,
    report,
  );
  requireColumn([...base, 'primary_key'], model.primary_key);
  checkTenancy(project, model, base, report, requireColumn);

  // Measures and dimensions share one namespace: a query names them in the same sentence.
  reportDuplicates(
    [
      ...model.dimensions.map((d, i) => ({ key: d.name, path: [...base, 'dimensions', i, 'name'] })),
      ...model.measures.map((m, i) => ({ key: m.name, path: [...base, 'measures', i, 'name'] })),
    ],
    (name, first) => `name "${name}" is already used by ${formatPath(first)} in this model`,
    report,
  );

  let primary: ModelPath | undefined;
  model.dimensions.forEach((dimension, i) => {
    const path = [...base, 'dimensions', i];
    requireColumn([...path, 'column'], dimension.column);
    if (dimension.type === 'time') {
      if (new Set(dimension.granularities).size !== dimension.granularities.length) {
        report([...path, 'granularities'], 'a granularity is listed twice');
      }
      if (dimension.primary) {
        if (primary) report([...path, 'primary'], `only one time dimension may be primary; ${formatPath(primary)} already is`);
        else primary = path;
      }
      return;
    }
    const values = dimension.values ?? [];
    reportDuplicates(
      values.map((v, j) => ({ key: valueKey(v.value), path: [...path, 'values', j, 'value'] })),
      (key) => `value ${key} is listed twice`,
      report,
    );
    const firstType = values[0] === undefined ? undefined : typeof values[0].value;
    values.forEach((v, j) => {
      if (typeof v.value !== firstType) {
        report([...path, 'values', j, 'value'], `values of one column have one type: this is a ${typeof v.value}, the first is a ${firstType}`);
      }
    });
  });

  const rankings = model.measures.flatMap((m, i) => (m.ranking ? [i] : []));
  for (const i of rankings.slice(1)) {
    report([...base, 'measures', i, 'ranking'], `only one measure of model ${model.name} may be its ranking measure (also: ${model.measures[rankings[0]!]!.name})`);
  }
  model.measures.forEach((measure, i) => {
    const path = [...base, 'measures', i];
    if (measure.column !== undefined) requireColumn([...path, 'column'], measure.column);
    measure.filter?.forEach((filter, j) => checkFilter(model, filter, [...path, 'filter', j], report));
  });

  reportDuplicates(
    model.joins.map((j, i) => ({ key: j.name, path: [...base, 'joins', i, 'name'] })),
    (name) => `join "${name}" is declared twice`,
    report,
  );
  model.joins.forEach((join, i) => {
    const path = [...base, 'joins', i];
    requireColumn([...path, 'foreign_key'], join.foreign_key);
    if (!project.models.some((m) => m.name === join.model)) {
      report([...path, 'model'], `unknown model "${join.model}"; models: ${project.models.map((m) => m.name).join(', ')}`);
    }
  });
}

function checkTenancy(
  project: SemanticModel,
  model: ModelDef,
  base: ModelPath,
  report: (path: ModelPath, message: string) => void,
  requireColumn: (path: ModelPath, column: string) => void,
): void {
  const tenancy = model.tenancy;
  if ('column' in tenancy) {
    requireColumn([...base, 'tenancy', 'column'], tenancy.column);
    return;
  }
  if (!('via' in tenancy)) return; // shared, schema_per_tenant, database_per_project: nothing to resolve
  const path = [...base, 'tenancy', 'via'];
  const join = model.joins.find((j) => j.name === tenancy.via);
  if (!join) {
    const declared = model.joins.map((j) => j.name);
    report(
      path,
      `tenancy via "${tenancy.via}": this model declares no join named "${tenancy.via}"; ` +
        (declared.length ? `its joins: ${declared.join(', ')}` : 'declare it under joins (name, model, foreign_key)'),
    );
    return;
  }
  const target = project.models.find((m) => m.name === join.model);
  if (!target) return; // reported at the join
  // One hop only, to a tenant column: the compiler filters the joined table itself, so a chain or
  // a shared target would leave this model's rows unfiltered.
  if (!('column' in target.tenancy)) {
    report(
      path,
      `tenancy via "${tenancy.via}" reaches model "${target.name}", whose tenancy is ${describeTenancy(target)}; ` +
        'via must reach a model with tenancy: { column: ... }',
    );
  }
}

function describeTenancy(model: ModelDef): string {
  const [mode, value] = Object.entries(model.tenancy)[0] ?? ['none', ''];
  return value === true ? `${mode}: true` : `${mode}: ${String(value)}`;
}

/** A filter's dimension is categorical with declared values, and every value is one of them. */
function checkFilter(
  owner: ModelDef,
  filter: MeasureFilter | QueryFilter,
  path: ModelPath,
  report: (path: ModelPath, message: string) => void,
  dimension: Dimension | undefined = owner.dimensions.find((d) => d.name === filter.dimension),
): void {
  if (!dimension) {
    report([...path, 'dimension'], `unknown dimension "${filter.dimension}" of model ${owner.name}; ${listDimensions(owner)}`);
    return;
  }
  if (dimension.type !== 'categorical' || !dimension.values) {
    report([...path, 'dimension'], `dimension "${filter.dimension}" has no declared values to filter on`);
    return;
  }
  const declared = new Set(dimension.values.map((v) => valueKey(v.value)));
  const { op, values } = filterOperation(filter);
  values.forEach((value, k) => {
    if (!declared.has(valueKey(value))) {
      report(
        op === 'equals' ? [...path, op] : [...path, op, k],
        `${valueKey(value)} is not a value of dimension "${filter.dimension}"; its values: ${[...declared].join(', ')}`,
      );
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Queries (examples here; tools and the matcher produce the same shape)
// ---------------------------------------------------------------------------------------------

/**
 * Whether `query` is one this project's model can answer; findings are relative to `base`.
 * The zod schema has already checked the query's shape.
 */
export function checkQuery(project: SemanticModel, query: SemanticQuery, base: ModelPath = []): Finding[] {
  const findings: Finding[] = [];
  const report = (path: ModelPath, message: string) => findings.push({ path, message });
  const model = project.models.find((m) => m.name === query.model);
  if (!model) {
    report([...base, 'model'], `unknown model "${query.model}"; models: ${project.models.map((m) => m.name).join(', ')}`);
    return findings;
  }
  if (query.measure !== undefined && !model.measures.some((m) => m.name === query.measure)) {
    const names = model.measures.map((m) => m.name);
    report(
      [...base, 'measure'],
      `unknown measure "${query.measure}" of model ${model.name}; ${names.length ? `its measures: ${names.join(', ')}` : 'it has no measures'}`,
    );
  }
  query.filters?.forEach((filter, i) => {
    const path = [...base, 'filters', i];
    const resolved = resolveDimension(project, model, filter.dimension);
    if ('error' in resolved) report([...path, 'dimension'], resolved.error);
    else checkFilter(resolved.model, filter, path, report, resolved.dimension);
  });
  if (query.group_by !== undefined) {
    const resolved = resolveDimension(project, model, query.group_by);
    if ('error' in resolved) report([...base, 'group_by'], resolved.error);
    else if (resolved.dimension.type !== 'categorical') {
      report([...base, 'group_by'], `"${query.group_by}" is a time dimension: use series: { dimension, granularity } to group by time`);
    }
  }
  if (query.series) {
    const dimension = model.dimensions.find((d) => d.name === query.series?.dimension);
    const path = [...base, 'series', 'dimension'];
    if (!dimension) report(path, `unknown dimension "${query.series.dimension}" of model ${model.name}; ${listDimensions(model)}`);
    else if (dimension.type !== 'time') report(path, `dimension "${dimension.name}" is not a time dimension`);
    else if (!dimension.granularities.includes(query.series.granularity)) {
      report(
        [...base, 'series', 'granularity'],
        `dimension "${dimension.name}" declares granularities ${dimension.granularities.join(', ')}, not ${query.series.granularity}`,
      );
    }
  }
  for (const key of ['window', 'latest'] as const) {
    if (query[key] !== undefined && !primaryTimeDimension(model)) {
      report(
        [...base, key],
        `${key === 'window' ? 'a time window' : 'latest'} needs a primary time dimension: mark one time dimension of model ${model.name} primary: true`,
      );
    }
  }
  return findings;
}

/** `estado` → the model's dimension; `cliente.nombre` → dimension nombre of the model joined as cliente. */
function resolveDimension(
  project: SemanticModel,
  model: ModelDef,
  ref: string,
): { model: ModelDef; dimension: Dimension } | { error: string } {
  const dot = ref.indexOf('.');
  if (dot < 0) {
    const dimension = model.dimensions.find((d) => d.name === ref);
    return dimension ? { model, dimension } : { error: `unknown dimension "${ref}" of model ${model.name}; ${listDimensions(model)}` };
  }
  const joinName = ref.slice(0, dot);
  const join = model.joins.find((j) => j.name === joinName);
  if (!join) {
    return { error: `model ${model.name} has no join "${joinName}"; its joins: ${model.joins.map((j) => j.name).join(', ') || 'none'}` };
  }
  const target = project.models.find((m) => m.name === join.model);
  if (!target) return { error: `join "${joinName}" points to unknown model "${join.model}"` };
  const dimension = target.dimensions.find((d) => d.name === ref.slice(dot + 1));
  return dimension
    ? { model: target, dimension }
    : { error: `unknown dimension "${ref.slice(dot + 1)}" of model ${target.name} (joined as ${joinName}); ${listDimensions(target)}` };
}

function listDimensions(model: ModelDef): string {
  return model.dimensions.length ? `its dimensions: ${model.dimensions.map((d) => d.name).join(', ')}` : 'it has no dimensions';
}

// ---------------------------------------------------------------------------------------------
// Words: within one scope, a word (after normalising case, accents and plurals) has one meaning.
// A model's scope is every model's words (a question names its model anywhere) plus that
// model's own measures, dimensions and values; two models' measures may share "cuántos".
// ---------------------------------------------------------------------------------------------

type Meaning = { id: string; description: string };
type WordUse = { word: string; keys: string[]; meaning: Meaning; path: ModelPath };

function wordUses(words: Words | undefined, meaning: Meaning, base: ModelPath): WordUse[] {
  const uses: WordUse[] = [];
  for (const language of LANGUAGES) {
    words?.[language]?.forEach((word, i) => uses.push({ word, keys: wordKeys(word), meaning, path: [...base, language, i] }));
  }
  return uses;
}

function memberWordUses(model: ModelDef, base: ModelPath): WordUse[] {
  const uses: WordUse[] = [];
  model.measures.forEach((measure, i) => {
    const meaning = { id: `${model.name}/measure/${measure.name}/${i}`, description: `measure "${measure.name}" of model ${model.name}` };
    uses.push(...wordUses(measure.words, meaning, [...base, 'measures', i, 'words']));
  });
  model.dimensions.forEach((dimension, i) => {
    const path = [...base, 'dimensions', i];
    const meaning = { id: `${model.name}/dimension/${dimension.name}/${i}`, description: `dimension "${dimension.name}" of model ${model.name}` };
    uses.push(...wordUses(dimension.words, meaning, [...path, 'words']));
    if (dimension.type !== 'categorical') return;
    dimension.values?.forEach((value, j) => {
      const valueMeaning = {
        id: `${meaning.id}/value/${j}`,
        description: `value ${valueKey(value.value)} of dimension "${dimension.name}" of model ${model.name}`,
      };
      uses.push(...wordUses(value.words, valueMeaning, [...path, 'values', j, 'words']));
    });
  });
  return uses;
}

function checkWords(project: SemanticModel, report: (path: ModelPath, message: string) => void, sourceMap?: SourceMap): void {
  const modelUses = project.models.flatMap((model, i) =>
    wordUses(model.words, { id: `${model.name}/${i}`, description: `model ${model.name}` }, ['models', i, 'words']),
  );
  const reported = new Set<string>();
  project.models.forEach((model, i) => {
    const seen = new Map<string, WordUse>();
    for (const use of [...modelUses, ...memberWordUses(model, ['models', i])]) {
      for (const key of use.keys) {
        const earlier = seen.get(key);
        if (!earlier) {
          seen.set(key, use);
          continue;
        }
        if (earlier.meaning.id === use.meaning.id) continue;
        // One report per pair of meanings, at the later word, naming where the earlier one is.
        const pair = [earlier.meaning.id, use.meaning.id].sort().join(' ~ ');
        if (reported.has(pair)) continue;
        reported.add(pair);
        const where = sourceMap?.locate(earlier.path);
        report(
          use.path,
          `"${use.word}" is ambiguous: as "${normalizeWords(use.word)}" it names ${use.meaning.description}, ` +
            `and "${earlier.word}" (${formatPath(earlier.path)}${where ? `, line ${where.line}` : ''}) names ${earlier.meaning.description}; ` +
            'a word may mean one thing only',
        );
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------

/** Reports every repeat of a key at its own path, naming the first. */
function reportDuplicates(
  entries: { key: string; path: ModelPath }[],
  message: (key: string, first: ModelPath) => string,
  report: (path: ModelPath, message: string) => void,
): void {
  const first = new Map<string, ModelPath>();
  for (const { key, path } of entries) {
    const earlier = first.get(key);
    if (earlier) report(path, message(key, earlier));
    else first.set(key, path);
  }
}

/** Values compare with their type: the code "1" and the integer 1 are different stored values. */
function valueKey(value: StoredValue): string {
  return JSON.stringify(value);
}
