import { DatabaseUnavailableError, type Database, type DatabaseTimeouts, type Row, type Transaction } from './database.js';

/** A connection checked out of the pool; `release(error)` destroys it instead of returning it. */
export interface PgLikeClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  release(destroy?: Error | boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of a pg-compatible pool we use: node-postgres and Neon's serverless Pool both have it. */
export interface PgLikePool {
  connect(): Promise<PgLikeClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Connections open now, idle or checked out. */
  readonly totalCount: number;
}

type Lease = { client: PgLikeClient; reused: boolean; release(destroy?: Error): void };

/** A Database over a pg-compatible pool. */
export function createPoolDatabase(pool: PgLikePool): Database {
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const used = new WeakSet<PgLikeClient>();

  const checkout = async (): Promise<Lease> => {
    const client = await pool.connect().catch((error: unknown) => {
      throw asUnavailable(error);
    });
    const reused = used.has(client);
    used.add(client);
    // The pool stops listening to a client it hands out; a link lost while we hold it emits
    // 'error' (besides failing the statement), and an unheard 'error' event crashes the process.
    const ignore = () => {};
    client.on('error', ignore);
    return {
      client,
      reused,
      release(destroy) {
        client.removeListener('error', ignore);
        client.release(destroy);
      },
    };
  };

  /**
   * Checks a connection out and runs a first statement on it. A pooled connection whose link
   * died while idle (database restart, failover, a proxy or NAT dropping it) can be handed out
   * before the driver has seen the close; its statement then fails at once. So a link failure
   * on a connection that served earlier statements is retried on the next one (each dead one
   * is destroyed: at most as many retries as the pool had connections).
   *
   * Writes: a stale link's server end is already gone, so the failed statement never ran and
   * running it again cannot double it. Never retried: failures on a fresh connection, timeouts
   * (the statement may still be running), SQL errors. A reused link dying *while* the server
   * runs a write is retried too (the pool cannot tell it from a stale one), so writes that may
   * be retried are idempotent: conversation messages carry a writer-chosen key (migration 0006).
   * A transaction is retried only at its BEGIN: a lost link rolls back whatever BEGIN started.
   */
  const start = async (sql: string, params: unknown[]): Promise<{ lease: Lease; rows: unknown[] }> => {
    let retries: number | undefined;
    for (;;) {
      const lease = await checkout();
      try {
        return { lease, rows: (await lease.client.query(sql, params)).rows };
      } catch (error) {
        const failure = asUnavailable(error);
        retries ??= pool.totalCount;
        // As pool.query did: a connection that failed a statement is not handed out again.
        lease.release(asError(failure));
        const linkLost = failure instanceof DatabaseUnavailableError && failure.kind === 'unavailable';
        if (lease.reused && linkLost && retries-- > 0) continue;
        throw failure;
      }
    }
  };

  return {
    async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
      const { lease, rows } = await start(sql, [...params]);
      lease.release();
      return rows as T[];
    },
    async exec(script) {
      const { client, release } = await checkout();
      try {
        await client.query(script);
      } catch (error) {
        // A failed script may leave its explicit transaction open on this pooled connection.
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        release();
      }
    },
    async transaction(work, { readOnly = false, rollback = false } = {}) {
      const { lease } = await start(readOnly ? 'BEGIN READ ONLY' : 'BEGIN', []);
      const { client } = lease;
      // A connection whose state we no longer know (a client-side timeout, a failed ROLLBACK)
      // is destroyed rather than handed to the next request with a transaction still open.
      let destroy: Error | undefined;
      const run = async (sql: string, params: readonly unknown[] = []) => {
        try {
          return (await client.query(sql, [...params])).rows;
        } catch (error) {
          throw asUnavailable(error);
        }
      };
      try {
        const tx: Transaction = { query: async <T extends Row>(sql: string, params?: readonly unknown[]) => (await run(sql, params)) as T[] };
        const result = await work(tx);
        await run(rollback ? 'ROLLBACK' : 'COMMIT');
        return result;
      } catch (error) {
        if (error instanceof DatabaseUnavailableError && !isServerCancel(error)) destroy = error;
        else await client.query('ROLLBACK').catch((rollbackError: unknown) => (destroy = asError(rollbackError)));
        throw error;
      } finally {
        lease.release(destroy);
      }
    },
    enforcesStatementTimeout: true,
    async close() {
      await pool.end();
    },
  };
}

/** statement_timeout fired on the server: the connection itself is healthy. */
function isServerCancel(error: DatabaseUnavailableError): boolean {
  return error.kind === 'timeout' && (error.cause as { code?: unknown } | undefined)?.code === '57014';
}

const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));

// 53300: too_many_connections (the server's max_connections or a role's CONNECTION LIMIT): busy, not broken.
const CONNECTION_ERROR_CODES = new Set(['53300', '57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Failures of the database rather than of our SQL: a statement cancelled by
 * statement_timeout (57014) or a client-side query timeout → 'timeout'; connection-level
 * failures → 'unavailable'. SQL errors stay as they are.
 */
export function asUnavailable(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof DatabaseUnavailableError) return error;
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
