import { createApp, createModel } from '../app.js';
import { tokenSettingsFrom } from '../auth/settings.js';
import { parseConfig, type Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { ChatModel } from '../llm/model.js';
import { problemBody, ProblemError } from '../errors.js';
import { createCloudflareRateLimitStore, isRateLimitBinding } from '../ratelimit/cloudflare.js';
import { createMemoryRateLimitStore } from '../ratelimit/memory.js';
import type { RateLimitStore } from '../ratelimit/store.js';

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
  type Isolate = { env: WorkerEnv; config: Config; model: ChatModel | null };
  let cached: Isolate | undefined;
  // Settings are parsed once per isolate (bindings do not change while it lives), and the
  // model client with its circuit breaker lives as long: it holds no I/O objects of its own.
  const isolateFor = (env: WorkerEnv): Isolate => {
    if (cached?.env !== env) {
      const strings = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      const config = parseConfig(strings);
      tokenSettingsFrom(config); // key settings that do not fit ALGORITHM: a misconfiguration
      cached = { env, config, model: createModel(config) };
      // The SQL parser (1.7 MB of WASM) does not fit the Worker's size budget.
      console.log(JSON.stringify({ level: 'warn', msg: 'guarded model-written SQL is disabled on Workers: the PostgreSQL parser is not bundled; catalogue tools still work' }));
    }
    return cached;
  };

  // Rate-limit counters per isolate (createApp runs per request, so its default store would
  // forget every hit): the RATE_LIMITER_USER / RATE_LIMITER_PROJECT bindings when configured
  // ([[ratelimits]] in wrangler.toml), this isolate's memory for a policy without one.
  let rateLimitStore: RateLimitStore | undefined;
  const rateLimitStoreFor = (env: WorkerEnv): RateLimitStore =>
    (rateLimitStore ??= createCloudflareRateLimitStore({
      bindings: {
        user: isRateLimitBinding(env.RATE_LIMITER_USER) ? env.RATE_LIMITER_USER : undefined,
        project: isRateLimitBinding(env.RATE_LIMITER_PROJECT) ? env.RATE_LIMITER_PROJECT : undefined,
      },
      fallback: createMemoryRateLimitStore(),
      log: (entry) => console.log(JSON.stringify(entry)),
    }));

  return {
    async fetch(request: Request, env: WorkerEnv, ctx: WorkerContext): Promise<Response> {
      let isolate: Isolate;
      let db: Database;
      try {
        isolate = isolateFor(env);
        db = openDatabase(isolate.config, env);
      } catch (error) {
        // A deployment mistake: say so in the log, answer a problem without the details.
        console.error(error instanceof Error ? error.message : error);
        const problem = new ProblemError(500, 'internal', 'the service is misconfigured; see its log');
        return new Response(JSON.stringify(problemBody(problem)), { status: 500, headers: { 'Content-Type': 'application/problem+json' } });
      }
      let response: Response;
      try {
        const { config, model } = isolate;
        const log = (entry: Record<string, unknown>) => console.log(JSON.stringify(entry));
        response = await createApp({ config, db, model, rateLimitStore: rateLimitStoreFor(env), log }).fetch(request);
      } catch (error) {
        ctx.waitUntil(db.close());
        throw error;
      }
      // A streamed answer keeps using the database (it stores the answer at the end): close the
      // request's pool only once the body has been sent or the client has gone.
      if (!response.body || !response.headers.get('Content-Type')?.startsWith('text/event-stream')) {
        ctx.waitUntil(db.close());
        return response;
      }
      const { readable, writable } = new TransformStream();
      ctx.waitUntil(response.body.pipeTo(writable).catch(() => {}).finally(() => db.close()));
      return new Response(readable, response);
    },
  };
}
