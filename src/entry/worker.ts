import { createApp } from '../app.js';
import { ConfigError, parseConfig, type Config } from '../config.js';
import { createNeonDatabase } from '../db/neon.js';

/** Bindings: the settings as [vars] and secrets (`wrangler secret put JWT_SECRET_KEY`). */
type WorkerEnv = Record<string, unknown>;

type WorkerContext = { waitUntil(promise: Promise<unknown>): void };

let cached: { env: WorkerEnv; config: Config } | undefined;

/** Parses the settings once per isolate (bindings do not change while it lives). */
function configFor(env: WorkerEnv): Config {
  if (cached?.env !== env) {
    const strings = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    cached = { env, config: parseConfig(strings) };
  }
  return cached.config;
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: WorkerContext): Promise<Response> {
    const config = configFor(env);
    if (!config.DATABASE_URL) throw new ConfigError('DATABASE_URL is required on Workers (wrangler secret put DATABASE_URL)');
    // Workers must not share I/O objects across requests: one pool per request, closed after it.
    const db = createNeonDatabase({ connectionString: config.DATABASE_URL, wsProxy: config.DATABASE_WS_PROXY });
    try {
      return await createApp({ config, db, log: (entry) => console.log(JSON.stringify(entry)) }).fetch(request);
    } finally {
      ctx.waitUntil(db.close());
    }
  },
};
