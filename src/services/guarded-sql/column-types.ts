import type { CatalogReader } from '../semantic-model/database-check.js';
import { splitTableName, type SemanticModel } from '../semantic-model/schema.js';
import type { ColumnTypes } from './model-access.js';

/** The types of the model's tenant columns as PostgreSQL writes them, for guardedSqlSetup's typed comparisons. */
export async function columnTypes(db: CatalogReader, project: SemanticModel): Promise<ColumnTypes> {
  const wanted = project.models.flatMap((model) => ('column' in model.tenancy ? [{ ...splitTableName(model.table), column: model.tenancy.column }] : []));
  if (wanted.length === 0) return new Map();
  const rows = await db.query<{ tbl: string; col: string; type: string }>(
    `SELECT n.nspname || '.' || c.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN unnest($1::text[], $2::text[], $3::text[]) AS w(s, t, col) ON w.s = n.nspname AND w.t = c.relname AND w.col = a.attname
     WHERE NOT a.attisdropped`,
    [wanted.map((w) => w.schema), wanted.map((w) => w.table), wanted.map((w) => w.column)],
  );
  return new Map(rows.map((row) => [`${row.tbl}.${row.col}`, row.type]));
}
