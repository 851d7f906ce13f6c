import pg from 'pg';
import { DatabaseUnavailableError, type Database, type Row } from './database.js';

export type NodePostgresOptions = {
  connectionString: string;
  max?: number;
  connectionTimeoutMillis?: number;
  statementTimeoutMillis?: number;
};

/** node-postgres pool for Node and Bun when DATABASE_URL is set. */
export function createNodePostgresDatabase(options: NodePostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    statement_timeout: options.statementTimeoutMillis ?? 10_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return {
    async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
      try {
        const result = await pool.query<T>(sql, [...params]);
        return result.rows;
      } catch (error) {
        throw asUnavailable(error);
      }
    },
    async exec(script) {
      const client = await pool.connect().catch((error: unknown) => {
        throw asUnavailable(error);
      });
      try {
        await client.query(script);
      } catch (error) {
        // A failed script may leave its explicit transaction open on this pooled connection.
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/** Connection-level failures become DatabaseUnavailableError; SQL errors stay as they are. */
function asUnavailable(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const connectionFailure =
    (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P03' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'ENOTFOUND')) ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(error.message);
  return connectionFailure ? new DatabaseUnavailableError(error.message, { cause: error }) : error;
}
