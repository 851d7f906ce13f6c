import { ConfigError } from '../config.js';
import { createNeonDatabase } from '../adapters/db/neon.js';
import { createWorker } from './worker-runtime.js';

// The Worker: PostgreSQL through Neon's serverless driver (a WebSocket), no nodejs_compat needed.
export default createWorker((config) => {
  if (!config.DATABASE_URL) throw new ConfigError('DATABASE_URL is required on Workers (wrangler secret put DATABASE_URL)');
  return createNeonDatabase({
    connectionString: config.DATABASE_URL,
    wsProxy: config.DATABASE_WS_PROXY,
    httpProxy: config.DATABASE_HTTP_PROXY,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  });
});
