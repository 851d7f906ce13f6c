import pg from 'pg';
import type { Database } from './database.js';
import { createPoolDatabase } from './pg-pool.js';

export type NodePostgresOptions = {
  connectionString: string;
  max?: number;
  connectionTimeoutMillis?: number;
  statementTimeoutMillis?: number;
};

/** node-postgres pool for Node and Bun when DATABASE_URL is set. */
export function createNodePostgresDatabase(options: NodePostgresOptions): Database {
  return createPoolDatabase(
    new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
      statement_timeout: options.statementTimeoutMillis ?? 10_000,
    }),
  );
}
