import { DatabaseUnavailableError, type Database, type DatabaseTimeouts, type Row } from './database.js';

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

const CONNECTION_ERROR_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Failures of the database rather than of our SQL: a statement cancelled by
 * statement_timeout (57014) or a client-side query timeout → 'timeout'; connection-level
 * failures → 'unavailable'. SQL errors stay as they are.
 */
function asUnavailable(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (code === '57014' || /Query read timeout/i.test(error.message)) {
    return new DatabaseUnavailableError('timeout', 'the database did not answer in time', { cause: error });
  }
  const connectionFailure =
    (typeof code === 'string' && (code.startsWith('08') || CONNECTION_ERROR_CODES.has(code))) ||
    /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|WebSocket/i.test(error.message);
  return connectionFailure ? new DatabaseUnavailableError('unavailable', error.message, { cause: error }) : error;
}

/** node-postgres (and Neon's Pool) options for the timeouts; unset ones get the service's defaults. */
export function poolTimeoutOptions({ connectTimeoutMs = 3_000, statementTimeoutMs = 5_000 }: Partial<DatabaseTimeouts>) {
  return {
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    // A connection that dies silently (cut link) must not hang the request.
    query_timeout: statementTimeoutMs + 1_000,
    keepAlive: true,
  };
}
