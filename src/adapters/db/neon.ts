import { neonConfig, Pool } from '@neondatabase/serverless';
import type { Database, DatabaseTimeouts } from './database.js';
import { createPoolDatabase, poolTimeoutOptions } from './pg-pool.js';

export type NeonOptions = Partial<DatabaseTimeouts> & {
  connectionString: string;
  /** ws(s)://host:port/path of a WebSocket→TCP proxy, for a PostgreSQL that is not Neon's. */
  wsProxy?: string | undefined;
  /** Only where the runtime has no global WebSocket (Node 20): the `ws` package's constructor. */
  webSocketConstructor?: typeof WebSocket;
};

/**
 * Neon's serverless driver: the PostgreSQL wire protocol over a WebSocket, for Workers.
 * Workers forbid sharing I/O objects between requests, so callers create one per request
 * and close it when the request is done.
 */
export function createNeonDatabase(options: NeonOptions): Database {
  if (options.webSocketConstructor) neonConfig.webSocketConstructor = options.webSocketConstructor;
  if (options.wsProxy) {
    const proxy = new URL(options.wsProxy);
    // The driver takes the proxy without its scheme and appends ?address=host:port.
    neonConfig.wsProxy = `${proxy.host}${proxy.pathname}`;
    neonConfig.useSecureWebSocket = proxy.protocol === 'wss:';
    // Pipelining assumes cleartext password auth; a plain PostgreSQL may use trust or SCRAM.
    neonConfig.pipelineConnect = false;
  }
  return createPoolDatabase(new Pool({ connectionString: options.connectionString, max: 2, ...poolTimeoutOptions(options) }));
}
