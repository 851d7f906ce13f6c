/** A row as drivers return it: column name → value. */
export type Row = Record<string, unknown>;

/**
 * The one database capability the service needs: run a parameterised statement.
 * Every adapter (embedded PGlite, node-postgres, Neon) passes the same contract tests.
 */
export interface Database {
  /** Runs one statement with positional parameters ($1, $2, …) and returns its rows. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs several statements in order, as one script; only for trusted migration files. */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Raised by adapters when the database cannot be reached ('unavailable' → 503) or did not
 * answer in time ('timeout' → 504). Plain SQL errors are not this: they are bugs (→ 500).
 */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  constructor(
    readonly kind: 'unavailable' | 'timeout',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Timeouts every pooled adapter applies. */
export type DatabaseTimeouts = {
  /** Connecting, and waiting for a free pooled connection. */
  connectTimeoutMs: number;
  /** Server-side statement_timeout; the client also gives up a little later on a dead link. */
  statementTimeoutMs: number;
};
