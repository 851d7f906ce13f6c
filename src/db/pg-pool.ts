import { DatabaseUnavailableError, type Database, type Row } from './database.js';

/** The part of a pg-compatible pool we use: node-postgres and Neon's serverless Pool both have it. */
export interface PgLikePool {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  connect(): Promise<{ query(sql: string): Promise<unknown>; release(): void }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** A Database over a pg-compatible pool. */
export function createPoolDatabase(pool: PgLikePool): Database {
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return {
    async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
      try {
        const result = await pool.query(sql, [...params]);
        return result.rows as T[];
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

const CONNECTION_ERROR_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/** Connection-level failures become DatabaseUnavailableError (→ 503); SQL errors stay as they are (→ 500). */
function asUnavailable(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const connectionFailure =
    (typeof code === 'string' && (code.startsWith('08') || CONNECTION_ERROR_CODES.has(code))) ||
    /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(error.message);
  return connectionFailure ? new DatabaseUnavailableError(error.message, { cause: error }) : error;
}
