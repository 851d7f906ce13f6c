import { Pool } from '@neondatabase/serverless';
import type { Database } from './database.js';
import { createPoolDatabase } from './pg-pool.js';

/**
 * Neon's serverless driver: the PostgreSQL wire protocol over a WebSocket, for Workers.
 * Workers forbid sharing I/O objects between requests, so callers create one per request
 * and close it when the request is done.
 */
export function createNeonDatabase(connectionString: string): Database {
  return createPoolDatabase(new Pool({ connectionString, max: 2, connectionTimeoutMillis: 5_000 }));
}
