import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Database, Row } from './database.js';

/**
 * Embedded PostgreSQL running in-process: the zero-configuration default. `dataDir` keeps it on
 * disk (in memory without it); `loadDataDir` starts from a data directory saved with PGlite's
 * `dumpDataDir()` (for example an already initialised cluster) instead of running initdb.
 */
export async function createPgliteDatabase(dataDir?: string, { loadDataDir }: { loadDataDir?: Blob } = {}): Promise<Database> {
  // pgvector is loaded (not created): migration 0005_documents creates it where available.
  const db = await PGlite.create(dataDir, { extensions: { vector }, ...(loadDataDir ? { loadDataDir } : {}) });
  return {
    async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
      const result = await db.query<T>(sql, [...params]);
      return result.rows;
    },
    async exec(script) {
      try {
        await db.exec(script);
      } catch (error) {
        // A failed script may leave its explicit transaction open on the single connection.
        await db.exec('ROLLBACK').catch(() => {});
        throw error;
      }
    },
    async transaction(work, { readOnly = false, rollback = false } = {}) {
      return db.transaction(async (tx) => {
        if (readOnly) await tx.query('SET TRANSACTION READ ONLY');
        const result = await work({
          async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
            return (await tx.query<T>(sql, [...params])).rows;
          },
        });
        if (rollback) await tx.rollback();
        return result;
      });
    },
    // PGlite runs PostgreSQL in this thread without timer interrupts: statement_timeout is
    // accepted but never fires, and a long statement blocks the whole process.
    enforcesStatementTimeout: false,
    async close() {
      await db.close();
    },
  };
}
