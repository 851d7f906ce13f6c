import { createApp } from '../app.js';
import { ConfigError, parseConfig, requireJwtSecret, type Config } from '../config.js';
import { createNeonDatabase } from '../db/neon.js';
import { problemBody, ProblemError } from '../errors.js';

/** Bindings: the settings as [vars] and secrets (`wrangler secret put JWT_SECRET_KEY`). */
type WorkerEnv = Record<string, unknown>;

type WorkerContext = { waitUntil(promise: Promise<unknown>): void };

let cached: { env: WorkerEnv; config: Config } | undefined;

/** Parses the settings once per isolate (bindings do not change while it lives). */
function configFor(env: WorkerEnv): Config {
  if (cached?.env !== env) {
    const strings = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    const config = parseConfig(strings);
    if (!config.DATABASE_URL) throw new ConfigError('DATABASE_URL is required on Workers (wrangler secret put DATABASE_URL)');
    requireJwtSecret(config);
    cached = { env, config };
  }
  return cached.config;
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: WorkerContext): Promise<Response> {
    let config: Config;
    try {
      config = configFor(env);
    } catch (error) {
      // A deployment mistake: say so in the log, answer a problem without the details.
      console.error(error instanceof Error ? error.message : error);
      const problem = new ProblemError(500, 'internal', 'the service is misconfigured; see its log');
      return new Response(JSON.stringify(problemBody(problem)), { status: 500, headers: { 'Content-Type': 'application/problem+json' } });
    }
    // Workers must not share I/O objects across requests: one pool per request, closed after it.
    const db = createNeonDatabase({ connectionString: config.DATABASE_URL!, wsProxy: config.DATABASE_WS_PROXY });
    try {
      return await createApp({ config, db, log: (entry) => console.log(JSON.stringify(entry)) }).fetch(request);
    } finally {
      ctx.waitUntil(db.close());
    }
  },
};
