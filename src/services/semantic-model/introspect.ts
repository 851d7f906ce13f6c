/**
 * Reads what `model:init` drafts from: the tables of one schema, their columns, primary and
 * foreign keys (pg_catalog / information_schema), and the distinct values of the text columns
 * that may be Django `choices`. Works over the service's `Database` interface, so node-postgres,
 * Neon and the embedded PGlite all fit.
 *
 * Bounded on purpose, since it runs against production databases: at most `maxTables` tables,
 * every statement under a statement timeout (PostgreSQL servers enforce it; PGlite cannot, see
 * database.ts), and values are read with `SELECT DISTINCT … LIMIT threshold + 1`, never a full
 * count. A table whose values time out is drafted without them, not dropped.
 */
import type { Database, Row } from '../../adapters/db/database.js';
import { categorize, type Category } from './database-check.js';
import { isFrameworkTable, isSecretColumn, wantsValues } from './draft.js';
import { IDENTIFIER } from './schema.js';

export const INTROSPECT_DEFAULTS = {
  schema: 'public',
  /** The schema's cap on models (MAX_MODELS): a bigger draft could not be checked anyway. */
  maxTables: 100,
  /** A text column with at most this many distinct values becomes a closed list of values. */
  valueThreshold: 20,
  /** Per transaction: the catalog reads together, and the value reads of one table. */
  statementTimeoutMs: 5_000,
} as const;

export type IntrospectOptions = {
  schema?: string;
  /** Only these tables (names in the schema); Django's own tables are then kept if listed. */
  tables?: readonly string[];
  maxTables?: number;
  valueThreshold?: number;
  statementTimeoutMs?: number;
  /** The value reads' timeout per table, when it should differ from the catalog's. */
  valuesTimeoutMs?: number;
};

/** What the bounded DISTINCT read found in a column. */
export type ColumnValues =
  /** At most `valueThreshold` distinct values; `repeats` when some row shares a value with another. */
  | { kind: 'values'; values: string[]; repeats: boolean }
  | { kind: 'many' }
  | { kind: 'unread'; reason: string };

export type IntrospectedColumn = {
  name: string;
  /** information_schema's data_type, e.g. "character varying", "USER-DEFINED". */
  dataType: string;
  udtName: string;
  category: Category;
  nullable: boolean;
  /** The labels of an enum type, in their declared order. */
  enumValues?: string[];
  values?: ColumnValues;
};

export type IntrospectedForeignKey = { columns: string[]; targetSchema: string; targetTable: string; targetColumns: string[] };

export type IntrospectedTable = {
  schema: string;
  name: string;
  columns: IntrospectedColumn[];
  primaryKey: string[];
  foreignKeys: IntrospectedForeignKey[];
};

export type Introspection = {
  schema: string;
  valueThreshold: number;
  tables: IntrospectedTable[];
  /** Every table of the schema that is not a framework table: app prefixes are guessed from them. */
  schemaTables: string[];
  skippedTables: { name: string; reason: string }[];
};

/** A failure worth one line to the user (bad schema, nothing to draft, too many tables). */
export class IntrospectionError extends Error {
  override name = 'IntrospectionError';
}

type Query = <T extends Row>(sql: string, params?: readonly unknown[]) => Promise<T[]>;

const SCHEMA_SQL = `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`;

/** Ordinary and partitioned tables (not their partitions); views have no keys to draft joins from. */
const TABLES_SQL = `
SELECT c.relname::text AS name, has_table_privilege(c.oid, 'SELECT') AS readable
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname`;

const COLUMNS_SQL = `
SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type,
  udt_name::text AS udt_name, is_nullable = 'YES' AS nullable
FROM information_schema.columns
WHERE table_schema = $1 AND table_name = ANY($2::text[])
ORDER BY table_name, ordinal_position`;

const ENUMS_SQL = `
SELECT t.typname::text AS type_name, e.enumlabel::text AS label
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
WHERE t.typname = ANY($1::text[])
ORDER BY t.typname, e.enumsortorder`;

/** Primary and foreign keys with their columns in key order (text[] so every driver parses them). */
const KEYS_SQL = `
SELECT cl.relname::text AS table_name, c.contype::text AS type,
  ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, i)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.i) AS columns,
  fn.nspname::text AS target_schema, fcl.relname::text AS target_table,
  ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, i)
        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.i) AS target_columns
FROM pg_constraint c
JOIN pg_class cl ON cl.oid = c.conrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
LEFT JOIN pg_class fcl ON fcl.oid = c.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fcl.relnamespace
WHERE n.nspname = $1 AND cl.relname = ANY($2::text[]) AND c.contype IN ('p', 'f')
ORDER BY cl.relname, c.conname`;

type TableRow = { name: string; readable: boolean };
type ColumnRow = { table_name: string; column_name: string; data_type: string; udt_name: string; nullable: boolean };
type KeyRow = { table_name: string; type: string; columns: string[]; target_schema: string | null; target_table: string | null; target_columns: string[] };

export async function introspectDatabase(db: Database, options: IntrospectOptions = {}): Promise<Introspection> {
  const schema = options.schema ?? INTROSPECT_DEFAULTS.schema;
  const maxTables = options.maxTables ?? INTROSPECT_DEFAULTS.maxTables;
  const threshold = options.valueThreshold ?? INTROSPECT_DEFAULTS.valueThreshold;
  const timeoutMs = options.statementTimeoutMs ?? INTROSPECT_DEFAULTS.statementTimeoutMs;

  const catalog = await bounded(db, timeoutMs, async (query) => {
    const [exists] = await query<{ n: number }>(SCHEMA_SQL, [schema]);
    if (!exists || exists.n === 0) throw new IntrospectionError(`schema "${schema}" does not exist`);
    const all = await query<TableRow>(TABLES_SQL, [schema]);
    const { chosen, skipped, schemaTables } = chooseTables(schema, all, options.tables, maxTables);
    const names = chosen.map((t) => t.name);
    const columns = await query<ColumnRow>(COLUMNS_SQL, [schema, names]);
    const userTypes = [...new Set(columns.filter((c) => c.data_type === 'USER-DEFINED').map((c) => c.udt_name))];
    const enumRows = userTypes.length ? await query<{ type_name: string; label: string }>(ENUMS_SQL, [userTypes]) : [];
    const keys = await query<KeyRow>(KEYS_SQL, [schema, names]);
    return { names, skipped, schemaTables, columns, enumRows, keys };
  });

  const enums = new Map<string, string[]>();
  for (const row of catalog.enumRows) enums.set(row.type_name, [...(enums.get(row.type_name) ?? []), row.label]);

  const enumTypes = new Set(enums.keys());
  const tables: IntrospectedTable[] = catalog.names.map((name) => {
    const keyRows = catalog.keys.filter((k) => k.table_name === name);
    return {
      schema,
      name,
      columns: catalog.columns
        .filter((c) => c.table_name === name)
        .map((c) => {
          const enumValues = c.data_type === 'USER-DEFINED' ? enums.get(c.udt_name) : undefined;
          return {
            name: c.column_name,
            dataType: c.data_type,
            udtName: c.udt_name,
            category: categorize(c.data_type, c.udt_name, enumTypes),
            nullable: c.nullable,
            ...(enumValues ? { enumValues } : {}),
          };
        }),
      primaryKey: keyRows.find((k) => k.type === 'p')?.columns ?? [],
      foreignKeys: keyRows
        .filter((k) => k.type === 'f' && k.target_table !== null && k.target_schema !== null)
        .map((k) => ({ columns: k.columns, targetSchema: k.target_schema ?? schema, targetTable: k.target_table ?? '', targetColumns: k.target_columns })),
    };
  });

  // One table at a time: a draft is a one-off, and the database serves its application meanwhile.
  for (const table of tables) await readValues(db, table, threshold, options.valuesTimeoutMs ?? timeoutMs);
  return { schema, valueThreshold: threshold, tables, schemaTables: catalog.schemaTables, skippedTables: catalog.skipped };
}

function chooseTables(
  schema: string,
  all: TableRow[],
  requested: readonly string[] | undefined,
  maxTables: number,
): { chosen: TableRow[]; skipped: { name: string; reason: string }[]; schemaTables: string[] } {
  if (all.length === 0) throw new IntrospectionError(`schema "${schema}" has no tables (or the user cannot see them)`);
  const skipped: { name: string; reason: string }[] = [];
  const schemaTables = all.filter((t) => !isFrameworkTable(t.name)).map((t) => t.name);
  let chosen: TableRow[];
  if (requested) {
    const missing = requested.filter((name) => !all.some((t) => t.name === name));
    if (missing.length) throw new IntrospectionError(`no table ${missing.join(', ')} in schema "${schema}"`);
    chosen = all.filter((t) => requested.includes(t.name));
  } else {
    chosen = [];
    for (const table of all) {
      if (isFrameworkTable(table.name)) skipped.push({ name: table.name, reason: "Django's own table" });
      else chosen.push(table);
    }
  }
  chosen = chosen.filter((table) => {
    // Models name tables with unquoted lower-case identifiers (schema.ts): others cannot be declared.
    if (!IDENTIFIER.test(table.name)) skipped.push({ name: table.name, reason: 'not a lower-case identifier' });
    else if (!table.readable) skipped.push({ name: table.name, reason: 'the connecting user cannot SELECT from it' });
    else return true;
    return false;
  });
  if (chosen.length === 0) throw new IntrospectionError(`schema "${schema}" has no tables to draft (skipped: ${skipped.map((s) => s.name).join(', ')})`);
  if (chosen.length > maxTables) {
    throw new IntrospectionError(`schema "${schema}" has ${chosen.length} tables, at most ${maxTables} per model: choose some with --tables a,b,…`);
  }
  return { chosen, skipped, schemaTables };
}

/**
 * The values of one table's candidate columns, in one transaction under the statement timeout.
 * A failure (timeout, permission) marks the table's columns unread instead of failing the draft.
 */
async function readValues(db: Database, table: IntrospectedTable, threshold: number, timeoutMs: number): Promise<void> {
  const keys = new Set([...table.primaryKey, ...table.foreignKeys.flatMap((fk) => fk.columns)]);
  const candidates = table.columns.filter((c) => !keys.has(c.name) && !isSecretColumn(c.name) && wantsValues(c.name, c.category) && !c.enumValues);
  if (candidates.length === 0) return;
  const from = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
  try {
    await bounded(db, timeoutMs, async (query) => {
      for (const column of candidates) {
        const col = quoteIdent(column.name);
        const distinct = await query<{ v: string }>(`SELECT DISTINCT ${col}::text AS v FROM ${from} WHERE ${col} IS NOT NULL LIMIT ${threshold + 1}`);
        if (distinct.length > threshold) {
          column.values = { kind: 'many' };
          continue;
        }
        // k distinct values in more than k rows means values repeat: a closed list rather than
        // names that happen to be few because the table is small. Bounded by k + 1 rows.
        const [rows] = await query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${from} WHERE ${col} IS NOT NULL LIMIT ${distinct.length + 1}) AS s`,
        );
        const values = distinct.map((r) => r.v).sort((a, b) => a.localeCompare(b));
        column.values = { kind: 'values', values, repeats: (rows?.n ?? 0) > distinct.length };
      }
    });
  } catch (error) {
    const reason = isTimeout(error) ? `timed out after ${timeoutMs} ms` : `failed: ${firstLine(error)}`;
    for (const column of candidates) column.values = { kind: 'unread', reason };
  }
}

/**
 * Runs `work` in a read-only transaction with a local statement timeout, rolled back after: the
 * timeout applies to these statements only, on the pooled connection that runs them.
 */
async function bounded<T>(db: Database, timeoutMs: number, work: (query: Query) => Promise<T>): Promise<T> {
  if (!db.transaction) return work((sql, params) => db.query(sql, params));
  return db.transaction(
    async (tx) => {
      await tx.query(`SELECT set_config('statement_timeout', $1, true)`, [String(timeoutMs)]);
      return work((sql, params) => tx.query(sql, params));
    },
    { readOnly: true, rollback: true },
  );
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function isTimeout(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    // 57014: query_canceled, what statement_timeout raises; adapters may wrap it as a timeout.
    if ((e as { code?: unknown }).code === '57014' || (e as { kind?: unknown }).kind === 'timeout') return true;
  }
  return false;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
