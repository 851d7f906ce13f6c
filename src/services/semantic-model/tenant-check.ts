import type { CatalogReader } from './database-check.js';
import { IDENTIFIER, splitTableName, type SemanticModel } from './schema.js';

/**
 * Whether a project's tenant value fits every tenant filter its model will bind it to: the
 * tenant column of each `column` model (a `via` model filters on its parent's), or a schema
 * name for `schema_per_tenant`. The statement is the filter itself with `LIMIT 0`, so
 * PostgreSQL parses the value as the column's own type and reads no row; a value that does not
 * fit (a slug for a bigint key) is found when the project is registered, not at its first question.
 */
export async function tenantProblems(db: CatalogReader, project: SemanticModel, tenant: string): Promise<string[]> {
  const problems: string[] = [];
  const checked = new Set<string>();
  for (const model of project.models) {
    if ('schema_per_tenant' in model.tenancy) {
      if (!IDENTIFIER.test(tenant)) problems.push(`model ${model.name}: the tenant "${tenant}" must be a schema name (lower-case identifier)`);
      continue;
    }
    if (!('column' in model.tenancy)) continue; // via: its parent's column is checked; shared / per database: nothing to bind
    const { schema, table } = splitTableName(model.table);
    const key = `${schema}.${table}.${model.tenancy.column}`;
    if (checked.has(key)) continue;
    checked.add(key);
    // Names come from a checked model: lower-case identifiers, quoted all the same.
    const sql = `SELECT 1 FROM "${schema}"."${table}" WHERE "${model.tenancy.column}" = $1 LIMIT 0`;
    try {
      await db.query(sql, [tenant]);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      problems.push(`model ${model.name}: the tenant "${tenant}" does not fit ${schema}.${table}.${model.tenancy.column} (${reason})`);
    }
  }
  return problems;
}
