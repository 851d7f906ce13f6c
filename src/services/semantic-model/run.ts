/**
 * Runs a semantic query for one tenant: compile (tenancy per table, values bound), execute on the
 * project's database, turn the driver's values into plain data, and phrase the answer.
 *
 * No Node APIs: it runs on Workers with any Database adapter.
 */
import type { Database, Row } from '../../adapters/db/database.js';
import { cutToBytes } from '../bytes.js';
import { compileQuery, type CompileContext, type CompiledQuery, type ResultColumn } from './compile.js';
import { phraseAnswer, type DataRow, type DataValue } from './phrase.js';
import type { Language, SemanticModel, SemanticQuery } from './schema.js';

/** SEMANTIC_MAX_VALUE_BYTES: one value of a semantic query's rows (a name, a label) longer than this is cut. */
export const DEFAULT_SEMANTIC_MAX_VALUE_BYTES = 4_096;

/** What `truncated_by` says when a value was cut. */
type ValueCut = { truncated_by: ['SEMANTIC_MAX_VALUE_BYTES'] };

/**
 * `datos` per shape: an aggregate gives `{ count }` for a count of rows, `{ total, count }` for a
 * sum and `{ value, count }` otherwise (count: the rows the measure read); breakdowns, top N,
 * series and latest give `{ rows }` keyed by the model's names. `truncated`: groups or buckets
 * were left out, or (with `truncated_by`) a value was cut to SEMANTIC_MAX_VALUE_BYTES.
 */
export type SemanticData =
  | { count: number }
  | { total: number; count: number }
  | { value: DataValue; count: number; truncated?: true; truncated_by?: ValueCut['truncated_by'] }
  | { rows: DataRow[]; truncated?: true; truncated_by?: ValueCut['truncated_by'] };

export type SemanticAnswer = { datos: SemanticData; respuesta: string };

/** The prefix of the columns that carry the start of a value too long to send whole. */
const HEAD = '__head_';

/**
 * `compiled` with every value bounded in PostgreSQL: a value whose text is longer than `max`
 * bytes comes back as null, and its first `max` + 1 characters in a column of its own (cut to
 * bytes by the runner), so no value of the user's table (a name of megabytes) is ever read
 * whole. octet_length of stored text reads its size, not the text. The subquery keeps its rows'
 * order: one with ORDER BY is never flattened into the outer query.
 */
function boundedValues(compiled: CompiledQuery, max: number): CompiledQuery {
  const limit = `$${compiled.params.length + 1}`;
  const over = (key: string) => `octet_length(r."${key}"::text) > ${limit}`;
  const select = compiled.columns.flatMap((column, i) => [
    `CASE WHEN ${over(column.key)} THEN NULL ELSE r."${column.key}" END AS "${column.key}"`,
    `CASE WHEN ${over(column.key)} THEN left(r."${column.key}"::text, ${limit} + 1) END AS "${HEAD}${i}"`,
  ]);
  return { ...compiled, sql: `SELECT ${select.join(', ')} FROM (${compiled.sql}) AS r`, params: [...compiled.params, max] };
}

export async function runSemanticQuery(
  db: Database,
  project: SemanticModel,
  query: SemanticQuery,
  ctx: CompileContext,
  language: Language,
  maxValueBytes = DEFAULT_SEMANTIC_MAX_VALUE_BYTES,
): Promise<SemanticAnswer> {
  const compiled = compileQuery(project, query, ctx);
  const bounded = boundedValues(compiled, maxValueBytes);
  const raw = await db.query(bounded.sql, bounded.params);
  let cut = false;
  const rows = raw.map((row) => {
    const data = toDataRow(row, compiled.columns);
    compiled.columns.forEach((column, i) => {
      const head = row[`${HEAD}${i}`];
      if (typeof head !== 'string') return;
      data[column.key] = cutToBytes(head, maxValueBytes);
      cut = true;
    });
    return data;
  });
  const respuesta = phraseAnswer({ project, query, compiled, rows, lang: language, timeZone: ctx.timeZone });
  const datos = toData(compiled, rows);
  // Only text is ever that long: counts and sums are never cut.
  if (!cut || !('rows' in datos || 'value' in datos)) return { datos, respuesta };
  return { datos: { ...datos, truncated: true, truncated_by: ['SEMANTIC_MAX_VALUE_BYTES'] }, respuesta };
}

function toData(compiled: CompiledQuery, rows: DataRow[]): SemanticData {
  if (compiled.shape !== 'aggregate') {
    // A breakdown or series asks for one row more than it shows, only to know whether it was cut.
    if (compiled.shape === 'breakdown' && compiled.limit !== undefined && rows.length >= compiled.limit) {
      return { rows: rows.slice(0, compiled.limit - 1), truncated: true };
    }
    // A series keeps its newest buckets: the extra one read is the oldest.
    if (compiled.shape === 'series' && compiled.limit !== undefined && rows.length >= compiled.limit) {
      return { rows: rows.slice(1), truncated: true };
    }
    return { rows };
  }
  const valueColumn = compiled.columns.find((c) => c.kind === 'measure');
  if (!valueColumn || valueColumn.kind !== 'measure') throw new Error('an aggregate has a measure column');
  const row = rows[0] ?? {};
  const count = Number(row.count ?? 0);
  const value = row[valueColumn.key] ?? null;
  const measure = valueColumn.measure;
  if (measure.type === 'count' && measure.column === undefined) return { count: Number(value ?? 0) };
  if (measure.type === 'sum') return { total: Number(value ?? 0), count };
  return { value, count };
}

/** Driver values → data: numeric and bigint text → number, timestamps → ISO strings. */
function toDataRow(row: Row, columns: readonly ResultColumn[]): DataRow {
  const out: DataRow = {};
  for (const column of columns) out[column.key] = toDataValue(row[column.key], column);
  return out;
}

function toDataValue(value: unknown, column: ResultColumn): DataValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  const numeric =
    column.kind === 'count' ||
    (column.kind === 'measure' && column.measure.type !== 'min' && column.measure.type !== 'max') ||
    (column.kind === 'column' && column.measure !== undefined);
  // numeric and bigint arrive as text from node-postgres (exactness); a reader wants a number.
  if (numeric && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    // min/max and plain columns keep their type, except numeric text that is clearly a number.
    if (typeof value === 'string' && (column.kind === 'measure' || isNumericColumn(column)) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
    return value;
  }
  return String(value);
}

/** A latest row's primary key (bigint ids arrive as text) reads as a number when it is one. */
function isNumericColumn(column: ResultColumn): boolean {
  return column.kind === 'column' && column.column === column.model.primary_key;
}
