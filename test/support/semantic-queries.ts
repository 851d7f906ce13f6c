import { readFileSync } from 'node:fs';
import { checkQuery } from '../../src/services/semantic-model/check.js';
import { parseSemanticModel } from '../../src/services/semantic-model/parse.js';
import type { SemanticModel, SemanticQuery, TimeWindow } from '../../src/services/semantic-model/schema.js';

/** A model file of the repository, parsed and checked (fails the test file when it is not valid). */
export function loadModel(path: string): SemanticModel {
  const parsed = parseSemanticModel(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'), { fileName: path });
  if (!parsed.ok) throw new Error(`${path}: ${JSON.stringify(parsed.errors)}`);
  return parsed.model;
}

export const WINDOWS: TimeWindow[] = [
  { kind: 'today' },
  { kind: 'yesterday' },
  { kind: 'this_week' },
  { kind: 'this_month' },
  { kind: 'this_quarter' },
  { kind: 'this_year' },
  { kind: 'last_days', days: 7 },
  { kind: 'last_days', days: 30 },
];

/**
 * Every query shape over every model of a project: each measure alone, with each window, with a
 * filter on each filterable dimension (own and joined), grouped by each categorical dimension
 * (own and joined, as breakdown and top N), as a series per granularity, and latest N.
 * Only queries the checker accepts are kept, so this is the space the compiler must handle.
 */
export function enumerateQueries(project: SemanticModel): SemanticQuery[] {
  const queries: SemanticQuery[] = [];
  for (const model of project.models) {
    const refs = [
      ...model.dimensions.map((d) => ({ ref: d.name, dimension: d })),
      ...model.joins.flatMap((j) =>
        (project.models.find((m) => m.name === j.model)?.dimensions ?? []).map((d) => ({ ref: `${j.name}.${d.name}`, dimension: d })),
      ),
    ];
    const filters = refs.flatMap(({ ref, dimension }) => {
      if (dimension.type !== 'categorical' || !dimension.values) return [];
      const [first, second] = dimension.values;
      if (!first) return [];
      return [
        { dimension: ref, equals: first.value },
        ...(second ? [{ dimension: ref, in: [first.value, second.value] }, { dimension: ref, not_in: [second.value] }] : []),
      ];
    });
    for (const measure of model.measures) {
      const m = { model: model.name, measure: measure.name };
      queries.push(m);
      for (const window of WINDOWS) queries.push({ ...m, window });
      for (const filter of filters) queries.push({ ...m, filters: [filter] });
      for (const { ref, dimension } of refs) {
        if (dimension.type !== 'categorical') continue;
        queries.push({ ...m, group_by: ref });
        queries.push({ ...m, group_by: ref, order: 'desc', limit: 5, window: { kind: 'this_year' } });
        queries.push({ ...m, group_by: ref, order: 'asc', limit: 3, ...(filters[0] ? { filters: [filters[0]] } : {}) });
      }
      for (const dimension of model.dimensions) {
        if (dimension.type !== 'time') continue;
        for (const granularity of dimension.granularities) queries.push({ ...m, series: { dimension: dimension.name, granularity } });
        queries.push({ ...m, series: { dimension: dimension.name, granularity: dimension.granularities[0] ?? 'day' }, window: { kind: 'this_year' } });
      }
    }
    queries.push({ model: model.name, latest: { limit: 5 } });
    for (const filter of filters) queries.push({ model: model.name, latest: { limit: 3 }, filters: [filter] });
  }
  return queries.filter((query) => checkQuery(project, query).length === 0);
}
