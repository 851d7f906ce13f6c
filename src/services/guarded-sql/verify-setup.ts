/**
 * Whether a database is ready for guarded SQL over a project's model: the checks `model:check
 * --guarded-sql` reports and `project:add --guarded-sql` requires before it switches the feature
 * on. Beyond what the runtime checks on every query (the role, a policy on each tenant-scoped
 * table), it proves the setup by its effect: the reader can select every exposed column, and with
 * the tenant set it sees exactly the rows the model's own queries see for that tenant, and
 * nothing with no tenant set.
 */
import type { Database } from '../../adapters/db/database.js';
import { tenantSource } from '../semantic-model/compile.js';
import type { SemanticModel } from '../semantic-model/schema.js';
import { readerProblem } from './execute.js';
import { GUARDED_SQL_ROLE, guardedAccessFor, TENANT_SETTING } from './model-access.js';

export async function guardedSqlSetupProblems(db: Database, project: SemanticModel, tenant?: string): Promise<string[]> {
  const access = guardedAccessFor(project);
  if (!access.ok) return [access.reason];
  const reader = await readerProblem(db, access.scoped);
  if (reader?.noRole) return [reader.reason];
  const problems = reader ? [reader.reason] : [];

  const pairs = access.tables.flatMap((t) => t.columns.map((column) => [t.table, column] as const));
  const privileges = await db.query<{ tbl: string; col: string; ok: boolean | null }>(
    `SELECT tbl, col, CASE WHEN to_regclass(tbl) IS NULL THEN NULL ELSE has_column_privilege($1, tbl, col, 'SELECT') END AS ok
     FROM unnest($2::text[], $3::text[]) AS x(tbl, col)`,
    [GUARDED_SQL_ROLE, pairs.map(([table]) => table), pairs.map(([, column]) => column)],
  );
  const denied = new Map<string, string[]>();
  for (const row of privileges) if (row.ok !== true) denied.set(row.tbl, [...(denied.get(row.tbl) ?? []), row.col]);
  for (const [table, columns] of denied) problems.push(`${GUARDED_SQL_ROLE} may not select ${columns.join(', ')} of ${table} (run the GRANT)`);
  if (problems.length > 0 || tenant === undefined || !db.transaction) return problems;

  // The effect: as the reader, each tenant-scoped table shows exactly the tenant's rows.
  for (const t of access.tables) {
    if (t.scope.kind === 'whole') continue;
    const model = project.models.find((m) => m.name === t.model)!;
    const params: unknown[] = [];
    const source = tenantSource(project, model, { tenant, now: new Date(0), timeZone: 'UTC' }, { add: (value) => `$${params.push(value)}` });
    const [expected] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${source} AS tenant_rows`, params);
    const seen = await db.transaction(
      async (tx) => {
        await tx.query(`SET LOCAL ROLE ${GUARDED_SQL_ROLE}`);
        const [none] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoted(t.table)}`);
        await tx.query(`SELECT set_config('${TENANT_SETTING}', $1, true)`, [tenant]);
        const [own] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoted(t.table)}`);
        return { none: none!.n, own: own!.n };
      },
      { readOnly: true, rollback: true },
    );
    if (seen.none !== 0) problems.push(`${t.table}: ${GUARDED_SQL_ROLE} sees ${seen.none} rows with no tenant set (its policy must hide every row then)`);
    if (seen.own !== expected!.n) {
      problems.push(`${t.table}: ${GUARDED_SQL_ROLE} sees ${seen.own} rows for tenant ${tenant}, the model's queries ${expected!.n} (is the policy the one printed?)`);
    }
  }
  return problems;
}

const quoted = (table: string) => table.split('.').map((part) => `"${part}"`).join('.');
