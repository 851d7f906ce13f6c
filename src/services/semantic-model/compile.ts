/**
 * The semantic query compiler: a checked `SemanticQuery` of a project's model → one
 * parameterised SELECT. The model's text never becomes SQL except as quoted identifiers that the
 * schema has already restricted to lower-case identifiers; every value (tenant, filter values,
 * window bounds, limits) is a bind parameter.
 *
 * Tenancy is applied to each physical table on its own, never as one outer WHERE: every model a
 * query touches is read through a subquery that already holds only the tenant's rows (and only the
 * model's exposed columns), so a join can never bring in another tenant's rows. A model whose
 * tenancy cannot be enforced is refused (fail closed).
 *
 * Pure and synchronous, no Node APIs: it runs on Workers.
 */
import { windowConditions } from './time-windows.js';
import { checkQuery } from './check.js';
import {
  filterOperation,
  IDENTIFIER,
  MAX_QUERY_LIMIT,
  primaryTimeDimension,
  splitTableName,
  type Dimension,
  type Granularity,
  type Measure,
  type MeasureFilter,
  type ModelDef,
  type QueryFilter,
  type SemanticModel,
  type SemanticQuery,
} from './schema.js';

/** Who is asking (the server decides, never the question) and when, in which calendar. */
export type CompileContext = { tenant: string | number; now: Date; timeZone: string };

export type QueryShape = 'aggregate' | 'breakdown' | 'top' | 'series' | 'latest';

/**
 * One column of the result, in order. `key` is the row's property name (and the SQL alias):
 * a dimension reference (`estado`, `cliente.nombre`), a measure's name, `count`, or an exposed
 * column's name. `kind` tells the runner how to turn the driver's value into data.
 */
export type ResultColumn =
  | { key: string; kind: 'measure'; measure: Measure }
  | { key: 'count'; kind: 'count' }
  | { key: string; kind: 'dimension'; model: ModelDef; dimension: Dimension }
  | { key: string; kind: 'bucket'; granularity: Granularity }
  | { key: string; kind: 'column'; model: ModelDef; column: string; measure?: Measure };

export type CompiledQuery = {
  shape: QueryShape;
  sql: string;
  params: unknown[];
  columns: ResultColumn[];
  /** Rows the SQL may return; one more than shown for a breakdown or series, to know it was cut. */
  limit?: number;
};

/** Groups a breakdown shows; the SQL asks for one more to say that some were left out. */
export const MAX_BREAKDOWN_GROUPS = 50;
/** Buckets of a series: a bit more than a year of days. */
export const MAX_SERIES_BUCKETS = 400;
/** One bucket to the next, per granularity (PostgreSQL has no "1 quarter" interval). */
const STEPS: Record<Granularity, string> = {
  hour: '1 hour',
  day: '1 day',
  week: '1 week',
  month: '1 month',
  quarter: '3 months',
  year: '1 year',
};

export class SemanticCompileError extends Error {
  override name = 'SemanticCompileError';
}

/** Quotes an identifier the schema validated; asserting again costs nothing and keeps it so. */
function ident(name: string): string {
  if (!IDENTIFIER.test(name)) throw new SemanticCompileError(`not an identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

const SYSTEM_SCHEMA = /^(pg_.*|information_schema|public)$/;

class Params {
  readonly values: unknown[] = [];
  add = (value: unknown): string => {
    this.values.push(value);
    return `$${this.values.length}`;
  };
}

/** A model as the query sees it: an alias over a tenant-filtered subquery of exposed columns. */
type Source = { model: ModelDef; alias: string };

export function compileQuery(project: SemanticModel, query: SemanticQuery, ctx: CompileContext): CompiledQuery {
  // The caller should have checked; compiling an unchecked query could reference anything.
  const findings = checkQuery(project, query);
  if (findings.length) throw new SemanticCompileError(`query does not fit the model: ${findings.map((f) => f.message).join('; ')}`);
  const model = findModel(project, query.model);
  const p = new Params();
  const base: Source = { model, alias: 't0' };
  const joins = new Map<string, Source>(); // join name → source, each joined once
  const useJoin = (name: string): Source => {
    let source = joins.get(name);
    if (!source) {
      const join = model.joins.find((j) => j.name === name);
      if (!join) throw new SemanticCompileError(`model ${model.name} has no join ${name}`);
      source = { model: findModel(project, join.model), alias: `t${joins.size + 1}` };
      joins.set(name, source);
    }
    return source;
  };
  /** `estado` or `cliente.nombre` → its source and dimension. */
  const resolve = (ref: string): { source: Source; dimension: Dimension } => {
    const dot = ref.indexOf('.');
    const source = dot < 0 ? base : useJoin(ref.slice(0, dot));
    const name = dot < 0 ? ref : ref.slice(dot + 1);
    const dimension = source.model.dimensions.find((d) => d.name === name);
    if (!dimension) throw new SemanticCompileError(`unknown dimension ${ref}`);
    return { source, dimension };
  };

  const where: string[] = [];
  const measure = query.measure === undefined ? undefined : model.measures.find((m) => m.name === query.measure);
  for (const filter of measure?.filter ?? []) where.push(filterSql(p, base, resolve(filter.dimension).dimension, filter));
  for (const filter of query.filters ?? []) {
    const { source, dimension } = resolve(filter.dimension);
    where.push(filterSql(p, source, dimension, filter));
  }
  if (query.window) {
    const time = requirePrimary(model);
    where.push(...windowConditions(p.add, col(base, time.column), query.window, ctx.now, ctx.timeZone, time.column_type));
  }

  let shape: QueryShape;
  let select: string[];
  let tail: string;
  let columns: ResultColumn[];
  let limit: number | undefined;
  let series: { pattern: string; step: string; bucketKey: string; valueKey: string; zero: boolean } | undefined;

  if (query.latest) {
    shape = 'latest';
    const time = requirePrimary(model);
    columns = latestColumns(project, model, useJoin);
    select = columns.map((c) => {
      if (c.kind !== 'column') throw new SemanticCompileError('latest lists columns only');
      const source = c.key.includes('.') ? useJoin(c.key.slice(0, c.key.indexOf('.'))) : base;
      return `${col(source, c.column)} AS ${quoteKey(c.key)}`;
    });
    limit = Math.min(query.latest.limit, MAX_QUERY_LIMIT);
    tail = `ORDER BY ${col(base, time.column)} DESC NULLS LAST, ${col(base, model.primary_key)} DESC LIMIT ${p.add(limit)}`;
  } else {
    if (!measure) throw new SemanticCompileError('a query needs a measure');
    const value = aggregateSql(base, measure);
    if (query.group_by !== undefined) {
      const { source, dimension } = resolve(query.group_by);
      const group = col(source, dimension.column);
      columns = [
        { key: query.group_by, kind: 'dimension', model: source.model, dimension },
        { key: measure.name, kind: 'measure', measure },
        { key: 'count', kind: 'count' },
      ];
      select = [`${group} AS ${quoteKey(query.group_by)}`, `${value} AS ${quoteKey(measure.name)}`, 'count(*) AS "count"'];
      // Ties are broken by the group itself, so equal values list in a stable order.
      const direction = query.order === 'asc' ? 'ASC' : 'DESC';
      shape = query.limit !== undefined ? 'top' : 'breakdown';
      limit = query.limit !== undefined ? Math.min(query.limit, MAX_QUERY_LIMIT) : MAX_BREAKDOWN_GROUPS + 1;
      tail = `GROUP BY ${group} ORDER BY 2 ${direction} NULLS LAST, 1 ASC NULLS LAST LIMIT ${p.add(limit)}`;
    } else if (query.series) {
      shape = 'series';
      const dimension = model.dimensions.find((d) => d.name === query.series?.dimension);
      if (!dimension || dimension.type !== 'time') throw new SemanticCompileError('a series needs a time dimension');
      // Buckets are calendar units of the project's time zone: an instant is first turned into
      // local wall-clock time (a local timestamp or date already is one). The bucket is returned as
      // text so that no driver re-reads a zone-less timestamp in the server process's own zone.
      const column = col(base, dimension.column);
      const localTime =
        dimension.column_type === 'date' ? `${column}::timestamp` : dimension.column_type === 'timestamp' ? column : `${column} AT TIME ZONE ${p.add(ctx.timeZone)}`;
      const bucket = `date_trunc(${p.add(query.series.granularity)}, ${localTime})`;
      columns = [
        { key: dimension.name, kind: 'bucket', granularity: query.series.granularity },
        { key: measure.name, kind: 'measure', measure },
        { key: 'count', kind: 'count' },
      ];
      select = [`${bucket} AS b`, `${value} AS v`, 'count(*) AS n'];
      where.push(`${col(base, dimension.column)} IS NOT NULL`);
      limit = MAX_SERIES_BUCKETS + 1;
      tail = 'GROUP BY 1';
      series = {
        pattern: query.series.granularity === 'hour' ? 'YYYY-MM-DD"T"HH24:MI' : 'YYYY-MM-DD',
        step: STEPS[query.series.granularity],
        bucketKey: dimension.name,
        valueKey: measure.name,
        // An empty bucket has no rows: zero for counts and sums, no value for an average.
        zero: measure.type === 'count' || measure.type === 'count_distinct' || measure.type === 'sum',
      };
    } else {
      shape = 'aggregate';
      columns = [
        { key: measure.name, kind: 'measure', measure },
        { key: 'count', kind: 'count' },
      ];
      select = [`${value} AS ${quoteKey(measure.name)}`, 'count(*) AS "count"'];
      tail = '';
    }
  }

  // Sources are rendered last: by now every join the query uses is known. The base's tenancy
  // parameters come after the others; placeholders are numbered, so order does not matter.
  const from = [`${tenantSource(project, base.model, ctx, p)} AS ${base.alias}`];
  for (const [name, source] of joins) {
    const join = model.joins.find((j) => j.name === name);
    if (!join) throw new SemanticCompileError(`model ${model.name} has no join ${name}`);
    // LEFT: a row whose joined row is not visible still counts, so totals match the aggregate.
    from.push(
      `LEFT JOIN ${tenantSource(project, source.model, ctx, p)} AS ${source.alias} ON ${col(source, source.model.primary_key)} = ${col(base, join.foreign_key)}`,
    );
  }
  let sql = [
    `SELECT ${select.join(', ')}`,
    `FROM ${from.join(' ')}`,
    where.length ? `WHERE ${where.join(' AND ')}` : '',
    tail,
  ]
    .filter(Boolean)
    .join(' ');
  if (series && limit !== undefined) {
    // Every bucket between the first and the last with data is listed, empty ones too: a reader
    // takes consecutive lines for consecutive periods. Steps are in local wall-clock time, so a
    // month is a calendar month. The newest buckets are kept when there are too many (one more
    // is read, to know); the bucket is returned as text so that no driver re-reads a zone-less
    // timestamp in the server process's own zone.
    const value = series.zero ? 'coalesce(d.v, 0)' : 'd.v';
    sql =
      `WITH data AS (${sql}) ` +
      `SELECT to_char(s.b, '${series.pattern}') AS ${quoteKey(series.bucketKey)}, ${value} AS ${quoteKey(series.valueKey)}, coalesce(d.n, 0) AS "count" ` +
      `FROM (SELECT g.b FROM (SELECT min(b) AS lo, max(b) AS hi FROM data) AS r, generate_series(r.lo, r.hi, ${p.add(series.step)}::interval) AS g(b) ` +
      `ORDER BY g.b DESC LIMIT ${p.add(limit)}) AS s LEFT JOIN data AS d ON d.b = s.b ORDER BY s.b`;
  }
  return { shape, sql, params: p.values, columns, ...(limit === undefined ? {} : { limit }) };
}

function findModel(project: SemanticModel, name: string): ModelDef {
  const model = project.models.find((m) => m.name === name);
  if (!model) throw new SemanticCompileError(`unknown model ${name}`);
  return model;
}

function requirePrimary(model: ModelDef) {
  const time = primaryTimeDimension(model);
  if (!time) throw new SemanticCompileError(`model ${model.name} has no primary time dimension`);
  return time;
}

/** A column of a source; only exposed columns exist in the subquery, and this asserts it too. */
function col(source: Source, column: string): string {
  if (!source.model.columns.includes(column)) {
    throw new SemanticCompileError(`column ${column} is not exposed by model ${source.model.name}`);
  }
  return `${source.alias}.${ident(column)}`;
}

/** A result alias: a dimension reference may hold one dot (`cliente.nombre`), both halves identifiers. */
function quoteKey(key: string): string {
  for (const part of key.split('.')) ident(part);
  if (key.split('.').length > 2) throw new SemanticCompileError(`bad result name ${key}`);
  return `"${key}"`;
}

function aggregateSql(source: Source, measure: Measure): string {
  switch (measure.type) {
    case 'count':
      return measure.column === undefined ? 'count(*)' : `count(${col(source, measure.column)})`;
    case 'count_distinct':
      return `count(DISTINCT ${col(source, measure.column)})`;
    case 'sum':
      // An empty sum is zero for a reader ("0,00"), not "no data".
      return `coalesce(sum(${col(source, measure.column)}), 0)`;
    case 'avg':
    case 'min':
    case 'max':
      return `${measure.type}(${col(source, measure.column)})`;
  }
}

/** equals / in / not_in on a dimension's stored values; the values are bound, one array each. */
function filterSql(p: Params, source: Source, dimension: Dimension, filter: MeasureFilter | QueryFilter): string {
  const column = col(source, dimension.column);
  const { op, values } = filterOperation(filter);
  if (op === 'equals') return `${column} = ${p.add(values[0])}`;
  // Values are bound one by one (not as one array): a driver cannot type an array of mixed
  // JavaScript values, and the column's type then decides each parameter's type.
  const list = values.map((v) => p.add(v)).join(', ');
  // NOT IN keeps NULLs out as SQL does; "not cancelled" on a NULL status is unknown, not a match.
  return op === 'in' ? `${column} IN (${list})` : `${column} NOT IN (${list})`;
}

/**
 * `(SELECT <exposed columns> FROM <table> WHERE <tenancy>)`: the only way any model's table is
 * read. Column tenancy compares the tenant column with a parameter; via tenancy keeps the rows
 * whose parent (through the join) belongs to the tenant; shared and database-per-project tables
 * are read whole; schema-per-tenant tables are read from the tenant's own schema.
 */
export function tenantSource(project: SemanticModel, model: ModelDef, ctx: CompileContext, p: { add(value: unknown): string }): string {
  const tenancy: unknown = model.tenancy;
  const exposed = model.columns.map(ident).join(', ');
  const { schema, table } = splitTableName(model.table);
  const from = `${ident(schema)}.${ident(table)}`;
  if (typeof tenancy !== 'object' || tenancy === null) throw new SemanticCompileError(`model ${model.name} has no tenancy: refusing to read it`);
  if ('column' in tenancy && typeof tenancy.column === 'string') {
    if (!model.columns.includes(tenancy.column)) throw new SemanticCompileError(`tenant column ${tenancy.column} of ${model.name} is not exposed`);
    return `(SELECT ${exposed} FROM ${from} WHERE ${ident(tenancy.column)} = ${p.add(ctx.tenant)})`;
  }
  if ('via' in tenancy && typeof tenancy.via === 'string') {
    const via = tenancy.via;
    const join = model.joins.find((j) => j.name === via);
    const parent = join && project.models.find((m) => m.name === join.model);
    if (!join || !parent || !('column' in parent.tenancy)) {
      throw new SemanticCompileError(`tenancy of ${model.name} goes via ${via}, which does not reach a model with a tenant column`);
    }
    const parentTable = splitTableName(parent.table);
    return (
      `(SELECT ${exposed} FROM ${from} AS v WHERE EXISTS (SELECT 1 FROM ${ident(parentTable.schema)}.${ident(parentTable.table)} AS o ` +
      `WHERE o.${ident(parent.primary_key)} = v.${ident(join.foreign_key)} AND o.${ident(parent.tenancy.column)} = ${p.add(ctx.tenant)}))`
    );
  }
  if ('shared' in tenancy && tenancy.shared === true) return `(SELECT ${exposed} FROM ${from})`;
  if ('database_per_project' in tenancy && tenancy.database_per_project === true) return `(SELECT ${exposed} FROM ${from})`;
  if ('schema_per_tenant' in tenancy && tenancy.schema_per_tenant === true) {
    // django-tenants: the tenant's schema is named after it. It becomes an identifier, so it must
    // be one: quoting alone would let "a\"b" through. PostgreSQL's own schemas are never a tenant's,
    // and public holds django-tenants' shared apps, which every tenant would then read.
    // Qualifying the table (rather than the runner setting search_path) keeps the SQL
    // self-contained: no session state to leak between pooled connections or requests.
    const tenantSchema = String(ctx.tenant);
    if (typeof ctx.tenant !== 'string' || !IDENTIFIER.test(tenantSchema) || tenantSchema.length > 63 || SYSTEM_SCHEMA.test(tenantSchema)) {
      throw new SemanticCompileError(`tenant ${JSON.stringify(ctx.tenant)} is not a schema name: refusing to read ${model.name}`);
    }
    return `(SELECT ${exposed} FROM ${ident(tenantSchema)}.${ident(table)})`;
  }
  throw new SemanticCompileError(`model ${model.name} has no tenancy this compiler can enforce: refusing to read it`);
}

/**
 * What "latest N" shows: the primary key, every dimension's column, the columns summed or
 * averaged by a measure (amounts are what people look for in a list of orders), and for each
 * join the first categorical dimension of the joined model without a closed list of values
 * (a name: one more indexed lookup per row, cheap).
 */
function latestColumns(project: SemanticModel, model: ModelDef, useJoin: (name: string) => Source): ResultColumn[] {
  const columns: ResultColumn[] = [];
  const seen = new Set<string>();
  // Keys are dimension names where a column is a dimension's (what queries call it), else the column.
  const add = (column: string, key: string, measure?: Measure) => {
    if (seen.has(column) || !model.columns.includes(column)) return;
    seen.add(column);
    columns.push({ key, kind: 'column', model, column, ...(measure ? { measure } : {}) });
  };
  add(model.primary_key, model.dimensions.find((d) => d.column === model.primary_key)?.name ?? model.primary_key);
  for (const dimension of model.dimensions) add(dimension.column, dimension.name);
  for (const measure of model.measures) {
    if ((measure.type === 'sum' || measure.type === 'avg') && measure.column) add(measure.column, measure.column, measure);
  }
  for (const join of model.joins) {
    const target = project.models.find((m) => m.name === join.model);
    const label = target?.dimensions.find((d) => d.type === 'categorical' && !d.values);
    if (!target || !label) continue;
    useJoin(join.name);
    columns.push({ key: `${join.name}.${label.name}`, kind: 'column', model: target, column: label.column });
  }
  return columns;
}
