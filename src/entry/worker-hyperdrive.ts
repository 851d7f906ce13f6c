import pg from 'pg';
import { ConfigError } from '../config.js';
import { createPoolDatabase, poolTimeoutOptions } from '../adapters/db/pg-pool.js';
import { createWorker } from './worker-runtime.js';

type HyperdriveBinding = { connectionString: string };

// The Worker behind Cloudflare Hyperdrive (wrangler.toml [env.hyperdrive]). Hyperdrive speaks
// plain TCP, so this variant uses node-postgres over cloudflare:sockets, which needs nodejs_compat.
export default createWorker((config, env) => {
  const binding = env.HYPERDRIVE as HyperdriveBinding | undefined;
  if (!binding?.connectionString) throw new ConfigError('the HYPERDRIVE binding is missing (see wrangler.toml [env.hyperdrive])');
  // Hyperdrive pools connections at the edge; one small pool per request is the documented use.
  return createPoolDatabase(
    new pg.Pool({
      connectionString: binding.connectionString,
      max: 1,
      ...poolTimeoutOptions({ connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS, statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS }),
    }),
  );
});
