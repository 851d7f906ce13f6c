/**
 * Guarded SQL over a project's semantic model: what model-written SQL may read (the model's
 * tables and exposed columns, nothing else), how those tables are described to the language
 * model, and the database side an administrator sets up once — the reader role's grants and a
 * row-level-security policy per tenant-scoped table, written for the model's tenancy.
 *
 * No Hono, no Node APIs: it runs on Workers.
 */
import { splitTableName, type ModelDef, type SemanticModel } from '../semantic-model/schema.js';
import { GUARDED_SQL_FUNCTIONS, type SqlAllowList } from './guard.js';

/** The NOLOGIN role model-written SQL runs as (created by migration 0003_guarded_sql). */
export const GUARDED_SQL_ROLE = 'chat_sql_reader';
/** The setting the tenant policies compare with: the project's tenant value, set by the server per query. */
export const TENANT_SETTING = 'chat.tenant';
/** The name of the policy every tenant-scoped table carries; the runtime check looks for it. */
export const TENANT_POLICY = 'chat_tenant_isolation';
/** The schema summary given to the language model stays within this many characters. */
const MAX_SUMMARY_CHARS = 8_000;

/** How one table is scoped to the tenant for the reader. */
export type TableScope =
  | { kind: 'column'; column: string }
  | { kind: 'via'; foreignKey: string; parent: string; parentKey: string; parentColumn: string }
  | { kind: 'whole'; why: 'shared' | 'database_per_project' };

export type GuardedTable = {
  /** `schema.table` */
  table: string;
  model: string;
  /** The columns the reader may select: the model's exposed columns. */
  columns: readonly string[];
  scope: TableScope;
};

export type GuardedAccess =
  | {
      ok: true;
      allow: SqlAllowList;
      tables: readonly GuardedTable[];
      /** The tables that must carry the tenant policy (`schema.table`). */
      scoped: readonly string[];
    }
  | { ok: false; reason: string };

/**
 * The allow-list and scoping of a checked model. Schema-per-tenant models are refused: each
 * tenant's tables live in their own schema, which one reader role and one policy cannot scope,
 * so their projects answer from the model's own queries only.
 */
export function guardedAccessFor(project: SemanticModel): GuardedAccess {
  const tables: GuardedTable[] = [];
  for (const model of project.models) {
    const scope = scopeOf(project, model);
    if ('error' in scope) return { ok: false, reason: scope.error };
    const { schema, table } = splitTableName(model.table);
    tables.push({ table: `${schema}.${table}`, model: model.name, columns: model.columns, scope });
  }
  const allow: Record<string, string[]> = {};
  for (const t of tables) allow[t.table] = [...new Set([...(allow[t.table] ?? []), ...t.columns])];
  return {
    ok: true,
    allow: { tables: allow, functions: GUARDED_SQL_FUNCTIONS },
    tables,
    scoped: [...new Set(tables.filter((t) => t.scope.kind !== 'whole').map((t) => t.table))],
  };
}

function scopeOf(project: SemanticModel, model: ModelDef): TableScope | { error: string } {
  const tenancy = model.tenancy;
  if ('column' in tenancy) return { kind: 'column', column: tenancy.column };
  if ('via' in tenancy) {
    const join = model.joins.find((j) => j.name === tenancy.via);
    const parent = join && project.models.find((m) => m.name === join.model);
    if (!join || !parent || !('column' in parent.tenancy)) return { error: `model ${model.name}: its tenancy goes via ${tenancy.via}, which reaches no tenant column` };
    const { schema, table } = splitTableName(parent.table);
    return { kind: 'via', foreignKey: join.foreign_key, parent: `${schema}.${table}`, parentKey: parent.primary_key, parentColumn: parent.tenancy.column };
  }
  if ('shared' in tenancy) return { kind: 'whole', why: 'shared' };
  if ('database_per_project' in tenancy) return { kind: 'whole', why: 'database_per_project' };
  return {
    error: `model ${model.name} has one schema per tenant: model-written SQL cannot be scoped there (one reader role and one policy cannot follow the tenant's schema); the project answers from its model's queries only`,
  };
}

/**
 * The tables as the language model sees them in the run_sql tool: columns, the stored values
 * of categorical dimensions with their words, time columns, measures and joins. Only the
 * model's words and names appear; the tenant never does (the database scopes the rows).
 */
export function schemaSummary(project: SemanticModel): string {
  const parts: string[] = [];
  for (const model of project.models) {
    const { schema, table } = splitTableName(model.table);
    const lines = [`${schema}.${table} (${model.name}${model.description ? `: ${model.description}` : ''}) columns: ${model.columns.join(', ')}`];
    for (const d of model.dimensions) {
      if (d.type === 'time') lines.push(`  ${d.column} is a timestamp (${d.name})`);
      else if (d.values?.length) {
        const values = d.values.map((v) => `${JSON.stringify(v.value)}${v.words.es?.[0] || v.words.en?.[0] ? ` = ${[v.words.es?.[0], v.words.en?.[0]].filter(Boolean).join('/')}` : ''}`);
        lines.push(`  ${d.column} (${d.name}) is one of ${values.join(', ')}`);
      }
    }
    for (const m of model.measures) {
      const filter = m.filter ? ` where ${m.filter.map((f) => JSON.stringify(f)).join(' and ')}` : '';
      lines.push(`  measure ${m.name} = ${m.type}(${m.column ?? '*'})${filter}`);
    }
    for (const j of model.joins) {
      const target = project.models.find((m) => m.name === j.model);
      if (target) lines.push(`  ${j.foreign_key} references ${splitTableName(target.table).schema}.${splitTableName(target.table).table}.${target.primary_key} (${j.name})`);
    }
    parts.push(lines.join('\n'));
  }
  const text = parts.join('\n');
  return text.length <= MAX_SUMMARY_CHARS ? text : `${text.slice(0, MAX_SUMMARY_CHARS)}\n(…more tables; ask about these)`;
}

/** `schema.table.column` → the column's type as PostgreSQL writes it (`format_type`), when known. */
export type ColumnTypes = ReadonlyMap<string, string>;

/**
 * The statements an administrator runs once (as the tables' owner or a superuser) so that the
 * reader sees exactly the model's columns and, in tenant-scoped tables, only the tenant's rows.
 * Idempotent. The policy applies to every role but restricts only the reader: other roles (the
 * application that owns the data) keep reading and writing as before. With the columns' types
 * the tenant comparison is in the column's own type (so its index serves it); without, as text.
 */
export function guardedSqlSetup(project: SemanticModel, types?: ColumnTypes): { ok: true; sql: string } | { ok: false; reason: string } {
  const access = guardedAccessFor(project);
  if (!access.ok) return access;
  const statements: string[] = [];
  const schemas = [...new Set(access.tables.map((t) => splitTableName(t.table).schema))];
  for (const schema of schemas) statements.push(`GRANT USAGE ON SCHEMA ${q(schema)} TO ${GUARDED_SQL_ROLE};`);
  const tenantValue = (table: string, column: string) => {
    const type = types?.get(`${table}.${column}`);
    // NULLIF: a setting once set in a session reads '' afterwards, not NULL; '' must match no row, not fail a cast.
    const setting = `NULLIF(current_setting('${TENANT_SETTING}', true), '')`;
    return type ? [q(column), `${setting}::${type}`] : [`${q(column)}::text`, setting];
  };
  const done = new Set<string>();
  for (const t of access.tables) {
    if (done.has(t.table)) continue;
    done.add(t.table);
    const name = qualified(t.table);
    const columns = access.allow.tables[t.table] ?? t.columns;
    statements.push('', `-- ${t.model}: ${describeScope(t.scope)}`, `GRANT SELECT (${columns.map(q).join(', ')}) ON ${name} TO ${GUARDED_SQL_ROLE};`);
    if (t.scope.kind === 'whole') continue;
    let condition: string;
    if (t.scope.kind === 'column') {
      const [left, right] = tenantValue(t.table, t.scope.column);
      condition = `${left} = ${right}`;
    } else {
      const [left, right] = tenantValue(t.scope.parent, t.scope.parentColumn);
      const own = q(splitTableName(t.table).table);
      condition =
        `EXISTS (SELECT 1 FROM ${qualified(t.scope.parent)} AS tenant_parent ` +
        `WHERE tenant_parent.${q(t.scope.parentKey)} = ${own}.${q(t.scope.foreignKey)} AND tenant_parent.${left} = ${right})`;
    }
    statements.push(
      `ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;`,
      `DROP POLICY IF EXISTS ${TENANT_POLICY} ON ${name};`,
      `CREATE POLICY ${TENANT_POLICY} ON ${name} AS PERMISSIVE FOR ALL TO PUBLIC`,
      `  USING (current_user <> '${GUARDED_SQL_ROLE}' OR ${condition})`,
      `  WITH CHECK (current_user <> '${GUARDED_SQL_ROLE}');`,
    );
  }
  return { ok: true, sql: `${statements.join('\n')}\n` };
}

function describeScope(scope: TableScope): string {
  switch (scope.kind) {
    case 'column':
      return `the reader sees the rows whose ${scope.column} is the tenant`;
    case 'via':
      return `the reader sees the rows whose ${scope.foreignKey} points to a ${scope.parent} row of the tenant`;
    case 'whole':
      return scope.why === 'shared' ? 'shared by every tenant: no policy' : "the project's own database: no policy";
  }
}

/** Names come from a checked model (lower-case identifiers); quoted all the same. */
const q = (name: string) => `"${name}"`;
const qualified = (table: string) => {
  const { schema, table: name } = splitTableName(table);
  return `${q(schema)}.${q(name)}`;
};
