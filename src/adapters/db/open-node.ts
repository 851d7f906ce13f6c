import type { Config } from '../../config.js';
import type { Database } from './database.js';
import { migrate } from './migrations.js';
import { serviceTables } from './tables.js';
import { createNodePostgresDatabase } from './node-postgres.js';
import { seedDemoData } from './seed.js';

export type OpenedDatabase = { db: Database; kind: 'postgres' | 'embedded'; seeded: boolean };

/**
 * The database for Node and Bun: DATABASE_URL when set, otherwise the embedded PostgreSQL,
 * migrated and loaded with the demo data on first use.
 */
export async function openNodeDatabase(
  config: Config,
  { embeddedDataDir, poolMax }: { embeddedDataDir?: string | undefined; poolMax?: number } = {},
): Promise<OpenedDatabase> {
  if (config.DATABASE_URL) {
    const db = createNodePostgresDatabase({
      connectionString: config.DATABASE_URL,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      ...(poolMax ? { max: poolMax } : {}),
    });
    return { db, kind: 'postgres', seeded: false };
  }
  // Loaded only when used: the embedded engine is large and servers with DATABASE_URL never need it.
  const { createPgliteDatabase } = await import('./pglite.js');
  const db = await createPgliteDatabase(embeddedDataDir);
  const tables = serviceTables(config.DATABASE_SCHEMA);
  await migrate(db, tables);
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${tables.projects}`);
  const empty = (row?.n ?? 0) === 0;
  if (empty) await seedDemoData(db, new Date(), tables);
  return { db, kind: 'embedded', seeded: empty };
}
