import pg from 'pg';
import type { Database, DatabaseTimeouts } from './database.js';
import { createPoolDatabase, poolTimeoutOptions } from './pg-pool.js';

export type NodePostgresOptions = Partial<DatabaseTimeouts> & { connectionString: string; max?: number };

/** node-postgres pool for Node and Bun when DATABASE_URL is set. */
export function createNodePostgresDatabase(options: NodePostgresOptions): Database {
  return createPoolDatabase(
    new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      ...poolTimeoutOptions(options),
    }),
  );
}
