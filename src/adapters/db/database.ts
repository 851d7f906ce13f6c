/** A row as drivers return it: column name → value. */
export type Row = Record<string, unknown>;

/** A transaction's handle: every statement runs on the transaction's one connection, in order. */
export interface Transaction {
  /** Runs one statement with positional parameters ($1, $2, …) inside the transaction. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export type TransactionOptions = {
  /** Starts the transaction READ ONLY (defence in depth: SQL inside can switch it back to READ WRITE). */
  readOnly?: boolean;
  /** Ends with ROLLBACK even when `work` succeeds: nothing the transaction did survives it. */
  rollback?: boolean;
};

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
  /**
   * Runs `work` in one transaction on one connection: BEGIN, the work's statements, then COMMIT
   * (or ROLLBACK when `work` throws, or with `rollback: true`). Every real adapter has it; it is
   * optional so that test doubles with only `query` still type-check.
   */
  transaction?<T>(work: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * True when the engine itself cancels a statement that runs past `statement_timeout`
   * (PostgreSQL servers: yes; embedded PGlite: no, it has no timer interrupt and a long
   * statement blocks the whole process). Features that run untrusted SQL require it.
   */
  readonly enforcesStatementTimeout?: boolean;
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
