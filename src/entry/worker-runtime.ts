import { createApp } from '../app.js';
import { parseConfig, requireJwtSecret, type Config } from '../config.js';
import type { Database } from '../db/database.js';
import { problemBody, ProblemError } from '../errors.js';

/** Bindings: the settings as [vars] and secrets (`wrangler secret put JWT_SECRET_KEY`), plus any service bindings. */
export type WorkerEnv = Record<string, unknown>;
type WorkerContext = { waitUntil(promise: Promise<unknown>): void };

/**
 * Opens the request's database. Workers must not share I/O objects across requests, so
 * every request gets its own connection, closed after the response. Throws ConfigError
 * when the bindings cannot provide one.
 */
export type OpenDatabase = (config: Config, env: WorkerEnv) => Database;

/** A Worker (`export default { fetch }`) serving the app over the given database driver. */
export function createWorker(openDatabase: OpenDatabase) {
  let cached: { env: WorkerEnv; config: Config } | undefined;
  // Settings are parsed once per isolate: bindings do not change while it lives.
  const configFor = (env: WorkerEnv): Config => {
    if (cached?.env !== env) {
      const strings = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      const config = parseConfig(strings);
      requireJwtSecret(config);
      cached = { env, config };
    }
    return cached.config;
  };

  return {
    async fetch(request: Request, env: WorkerEnv, ctx: WorkerContext): Promise<Response> {
      let config: Config;
      let db: Database;
      try {
        config = configFor(env);
        db = openDatabase(config, env);
      } catch (error) {
        // A deployment mistake: say so in the log, answer a problem without the details.
        console.error(error instanceof Error ? error.message : error);
        const problem = new ProblemError(500, 'internal', 'the service is misconfigured; see its log');
        return new Response(JSON.stringify(problemBody(problem)), { status: 500, headers: { 'Content-Type': 'application/problem+json' } });
      }
      try {
        return await createApp({ config, db, log: (entry) => console.log(JSON.stringify(entry)) }).fetch(request);
      } finally {
        ctx.waitUntil(db.close());
      }
    },
  };
}
