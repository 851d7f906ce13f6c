/**
 * The checker's "database" layer: the model against a live PostgreSQL catalog. Tables and columns
 * exist (a dropped or renamed column is an error with its line, not a crash at question time) and
 * their types fit their use: numbers for sum/avg, dates or timestamps for time dimensions, stored
 * values of the column's type, join keys of comparable types.
 *
 * It reads information_schema only, which lists what the connecting user may read: check with the
 * credentials the service will use. The database is any object with `query` (the service's
 * Database adapters fit), so this module needs no driver and runs on Workers too.
 */
import { issueAt, sortIssues, type ModelIssue, type ModelPath, type SourceMap } from './issues.js';
import { splitTableName, type ModelDef, type SemanticModel, type StoredValue } from './schema.js';
import type { ModelLayer } from './validate.js';

export interface CatalogReader {
  query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

type ColumnRow = { table_schema: string; table_name: string; column_name: string; data_type: string; udt_name: string };
type Column = { type: string; category: Category };
export type Category = 'integer' | 'decimal' | 'text' | 'boolean' | 'date' | 'timestamp' | 'uuid' | 'enum' | 'other';

/**
 * Columns of every model's table in one round trip. An unqualified table of a schema-per-tenant
 * model lives in each tenant's schema: any schema that has it will do ('' matches every schema).
 */
const COLUMNS_SQL = `
SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.udt_name
FROM information_schema.columns c
JOIN unnest($1::text[], $2::text[]) AS t(schema_name, table_name)
  ON c.table_name = t.table_name AND (t.schema_name = '' OR c.table_schema = t.schema_name)
WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY c.table_schema, c.table_name, c.ordinal_position`;

/** Enum types among the columns, to tell them from other user-defined types such as citext. */
const ENUMS_SQL = `SELECT DISTINCT t.typname FROM pg_type t WHERE t.typtype = 'e' AND t.typname = ANY($1::text[])`;

export function databaseLayer(db: CatalogReader): ModelLayer {
  return { name: 'database', run: (model, sourceMap) => checkModelAgainstDatabase(model, db, { sourceMap }) };
}

export async function checkModelAgainstDatabase(
  project: SemanticModel,
  db: CatalogReader,
  options: { sourceMap?: SourceMap } = {},
): Promise<ModelIssue[]> {
  const targets = project.models.map((model) => {
    const { schema, table } = splitTableName(model.table);
    const anySchema = 'schema_per_tenant' in model.tenancy && !model.table.includes('.');
    return { schema: anySchema ? '' : schema, table };
  });
  const rows = await db.query<ColumnRow>(COLUMNS_SQL, [targets.map((t) => t.schema), targets.map((t) => t.table)]);
  const userTypes = [...new Set(rows.filter((r) => r.data_type === 'USER-DEFINED').map((r) => r.udt_name))];
  const enums = new Set(
    userTypes.length ? (await db.query<{ typname: string }>(ENUMS_SQL, [userTypes])).map((r) => r.typname) : [],
  );

  // table key → its columns; for "any schema", the first schema (alphabetically) that has it.
  const tables = new Map<string, { qualified: string; columns: Map<string, Column> }>();
  for (const row of rows) {
    for (const key of [`${row.table_schema}.${row.table_name}`, `.${row.table_name}`]) {
      let entry = tables.get(key);
      if (!entry) tables.set(key, (entry = { qualified: `${row.table_schema}.${row.table_name}`, columns: new Map() }));
      if (entry.qualified !== `${row.table_schema}.${row.table_name}`) continue;
      const type = row.data_type === 'USER-DEFINED' ? row.udt_name : row.data_type;
      entry.columns.set(row.column_name, { type, category: categorize(row.data_type, row.udt_name, enums) });
    }
  }

  const issues: ModelIssue[] = [];
  const report = (path: ModelPath, message: string) => issues.push(issueAt(path, message, options.sourceMap));
  const found = project.models.map((_, i) => tables.get(`${targets[i]?.schema}.${targets[i]?.table}`));
  project.models.forEach((model, i) => {
    const table = found[i];
    if (!table) {
      report(['models', i, 'table'], `table ${model.table} does not exist, or the connecting user cannot read it`);
      return;
    }
    checkModel(project, model, ['models', i], table, (name) => found[project.models.findIndex((m) => m.name === name)], report);
  });
  return sortIssues(issues);
}

type Table = { qualified: string; columns: Map<string, Column> };

function checkModel(
  project: SemanticModel,
  model: ModelDef,
  base: ModelPath,
  table: Table,
  tableOf: (model: string) => Table | undefined,
  report: (path: ModelPath, message: string) => void,
): void {
  const missing = (column: string) => `column "${column}" does not exist in ${table.qualified} (dropped or renamed?)`;
  model.columns.forEach((column, k) => {
    if (!table.columns.has(column)) report([...base, 'columns', k], missing(column));
  });
  const exposed = new Set(model.columns);
  /** The column's type, reporting a missing one here unless the columns list already did. */
  const column = (path: ModelPath, name: string): Column | undefined => {
    const found = table.columns.get(name);
    if (!found && exposed.has(name)) return undefined;
    if (!found) report(path, missing(name));
    return found;
  };

  column([...base, 'primary_key'], model.primary_key);
  if ('column' in model.tenancy) column([...base, 'tenancy', 'column'], model.tenancy.column);

  model.dimensions.forEach((dimension, i) => {
    const path = [...base, 'dimensions', i];
    const type = column([...path, 'column'], dimension.column);
    if (!type) return;
    if (dimension.type === 'time') {
      if (type.category !== 'date' && type.category !== 'timestamp') {
        report([...path, 'column'], `a time dimension needs a date or timestamp column; ${dimension.column} is ${type.type}`);
        return;
      }
      // Windows and buckets read the column as its type says: a date compared as an instant would
      // shift "today" by the server's offset from APP_TIMEZONE.
      const actual = type.type === 'date' ? 'date' : type.type === 'timestamp without time zone' ? 'timestamp' : 'timestamptz';
      if ((dimension.column_type ?? 'timestamptz') !== actual) {
        report([...path, dimension.column_type === undefined ? 'column' : 'column_type'], `${dimension.column} is ${type.type}: declare column_type: ${actual}`);
      }
      return;
    }
    const mismatches = (dimension.values ?? []).flatMap((v, j) => (fits(v.value, type) ? [] : [j]));
    const first = mismatches[0];
    if (first !== undefined) {
      const more = mismatches.length > 1 ? ` (and ${mismatches.length - 1} more values)` : '';
      report(
        [...path, 'values', first, 'value'],
        `${JSON.stringify(dimension.values?.[first]?.value)} cannot be stored in ${dimension.column}, which is ${type.type}${more}`,
      );
    }
  });

  model.measures.forEach((measure, i) => {
    if (measure.column === undefined) return;
    const path = [...base, 'measures', i, 'column'];
    const type = column(path, measure.column);
    if (!type) return;
    const numeric = type.category === 'integer' || type.category === 'decimal';
    if ((measure.type === 'sum' || measure.type === 'avg') && !numeric) {
      report(path, `${measure.type} needs a numeric column; ${measure.column} is ${type.type}`);
    }
    if ((measure.type === 'min' || measure.type === 'max') && !numeric && !['date', 'timestamp', 'text'].includes(type.category)) {
      report(path, `${measure.type} needs a number, date, timestamp or text column; ${measure.column} is ${type.type}`);
    }
  });

  model.joins.forEach((join, i) => {
    const path = [...base, 'joins', i, 'foreign_key'];
    const key = column(path, join.foreign_key);
    const target = project.models.find((m) => m.name === join.model);
    const targetKey = target ? tableOf(target.name)?.columns.get(target.primary_key) : undefined;
    if (key && target && targetKey && comparable(key.category) !== comparable(targetKey.category)) {
      report(path, `${join.foreign_key} is ${key.type} but ${target.name}.${target.primary_key} is ${targetKey.type}: the join cannot match`);
    }
  });
}

export function categorize(dataType: string, udtName: string, enums: ReadonlySet<string>): Category {
  switch (dataType) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      return 'integer';
    case 'numeric':
    case 'real':
    case 'double precision':
    case 'money':
      return 'decimal';
    case 'character varying':
    case 'character':
    case 'text':
    case 'name':
      return 'text';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamp without time zone':
    case 'timestamp with time zone':
      return 'timestamp';
    case 'uuid':
      return 'uuid';
    case 'USER-DEFINED':
      if (enums.has(udtName)) return 'enum';
      return udtName === 'citext' ? 'text' : 'other';
    default:
      return 'other';
  }
}

/** Keys of these categories compare without a cast in a join. */
function comparable(category: Category): string {
  return category === 'integer' || category === 'decimal' ? 'number' : category === 'enum' ? 'text' : category;
}

function fits(value: StoredValue, column: Column): boolean {
  switch (typeof value) {
    case 'string':
      return column.category === 'text' || column.category === 'enum' || column.category === 'uuid';
    case 'number':
      return column.category === 'decimal' || (column.category === 'integer' && Number.isInteger(value));
    case 'boolean':
      return column.category === 'boolean';
  }
}
