import type { ExecutionContext } from 'hono';
import { getConnInfo } from 'hono/cloudflare-workers';
import { createApp, type App } from '../app.js';
import { tokenSettingsFrom } from '../services/auth/settings.js';
import { configSchema, misspelledSettings, parseConfig, type Config } from '../config.js';
import type { Database } from '../adapters/db/database.js';
import { problemBody, ProblemError } from '../errors.js';
import { createCloudflareRateLimitStore, isRateLimitBinding } from '../adapters/ratelimit/cloudflare.js';
import { createMemoryRateLimitStore } from '../adapters/ratelimit/memory.js';
import { loadOnce, type SqlParserLoader } from '../services/guarded-sql/parser.js';

/** Bindings: the settings as [vars] and secrets (`wrangler secret put JWT_SECRET_KEY`), plus any service bindings. */
export type WorkerEnv = Record<string, unknown>;

/**
 * Opens a request's database. Workers must not share I/O objects across requests, so every
 * request gets its own connection, closed after the response. Throws ConfigError when the
 * bindings cannot provide one.
 */
export type OpenDatabase = (config: Config, env: WorkerEnv) => Database;

const log = (entry: Record<string, unknown>) => console.log(JSON.stringify(entry));

/** The settings a Worker reads from its string bindings ([vars] and secrets). */
const WORKER_SETTINGS: readonly string[] = Object.keys(configSchema.shape);

/**
 * A Worker (`export default { fetch }`) serving the app over the given database driver. The
 * app is built once per isolate, on the first request (bindings arrive with it), so its caches,
 * rate-limit counters and model circuit breaker serve every request the isolate handles; only
 * the database is opened per request.
 */
export function createWorker(openDatabase: OpenDatabase) {
  let built: { env: WorkerEnv; app: App } | undefined;
  const sqlParser = workerSqlParser();

  const appFor = (env: WorkerEnv): App => {
    // Bindings do not change while an isolate lives; a new env object means a new deployment's.
    if (built?.env === env) return built.app;
    const strings = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    // A typo'd name (JWT_SECRET for JWT_SECRET_KEY) is named in the log line with its likely meaning.
    const config = parseConfig(strings, misspelledSettings(strings, WORKER_SETTINGS));
    tokenSettingsFrom(config); // key settings that do not fit ALGORITHM: a misconfiguration
    const app = createApp({
      config,
      openRequestDatabase: (requestEnv) => openDatabase(config, requestEnv as WorkerEnv),
      sqlParser,
      // The RATE_LIMITER_USER / _PROJECT / _READ / _ADDRESS bindings when configured ([[ratelimits]]
      // in wrangler.toml), this isolate's memory for a policy without one.
      rateLimitStore: createCloudflareRateLimitStore({
        bindings: {
          user: isRateLimitBinding(env.RATE_LIMITER_USER) ? env.RATE_LIMITER_USER : undefined,
          project: isRateLimitBinding(env.RATE_LIMITER_PROJECT) ? env.RATE_LIMITER_PROJECT : undefined,
          read: isRateLimitBinding(env.RATE_LIMITER_READ) ? env.RATE_LIMITER_READ : undefined,
          address: isRateLimitBinding(env.RATE_LIMITER_ADDRESS) ? env.RATE_LIMITER_ADDRESS : undefined,
        },
        fallback: createMemoryRateLimitStore(),
        log,
      }),
      // Cloudflare sets CF-Connecting-IP itself (a client cannot): the connection's address.
      clientAddress: (c) => getConnInfo(c).remote.address,
      log,
    });
    built = { env, app };
    return app;
  };

  return {
    async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
      let app: App;
      try {
        app = appFor(env);
      } catch (error) {
        // A deployment mistake: say so in the log, answer a problem without the details.
        console.error(error instanceof Error ? error.message : error);
        const problem = new ProblemError(500, 'internal', 'the service is misconfigured; see its log');
        return new Response(JSON.stringify(problemBody(problem)), { status: 500, headers: { 'Content-Type': 'application/problem+json' } });
      }
      return app.fetch(request, env, ctx);
    },
  };
}

/**
 * PostgreSQL's parser for guarded model-written SQL. It is a separate module of the upload
 * (./sql-parser/worker-module.mjs with its 1.7 MB libpg-query.wasm, built by
 * scripts/build-worker-parser.mjs), outside the main bundle: imported, and its WebAssembly
 * instantiated, by the isolate's first question to a project with guarded SQL on, once per
 * isolate (createServiceContainer decides when); a failed load is logged and retried by the next
 * such question. The import stays in this file, beside the entries: wrangler keeps its specifier
 * as written, relative to the main module (find_additional_modules in wrangler.toml).
 */
function workerSqlParser(): SqlParserLoader {
  return loadOnce(async () => {
    try {
      const { createSqlParser } = await import('./sql-parser/worker-module.mjs');
      const parser = await createSqlParser();
      log({ level: 'info', msg: 'sql parser loaded', module: 'sql-parser/worker-module.mjs' });
      return parser;
    } catch (error) {
      log({ level: 'error', msg: 'sql parser failed to load; model-written SQL is off until a later question loads it', error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  });
}
