import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { Log } from './app-env.js';
import { tokenSettingsFrom } from './services/auth/settings.js';
import { createTokenVerifier } from './services/auth/simplejwt.js';
import type { Config } from './config.js';
import type { Database } from './adapters/db/database.js';
import { ProblemError, problemOf, problemResponse, toProblem } from './errors.js';
import { withCircuitBreaker } from './adapters/llm/circuit-breaker.js';
import { createOpenAIEmbeddingModel, type EmbeddingModel } from './adapters/llm/embeddings.js';
import type { ChatModel } from './adapters/llm/model.js';
import { createOpenAIChatModel } from './adapters/llm/openai.js';
import type { OpenAIModelOptions } from './adapters/llm/openai-client.js';
import { identify } from './middleware/auth.js';
import { addressKey, clientAddressOf, type ClientAddressReader } from './middleware/client-address.js';
import { requestDeadline, requestTimedOut } from './middleware/deadline.js';
import { requestContext, type DatabaseSource } from './middleware/request-context.js';
import { requestLog } from './middleware/request-log.js';
import { createMemoryRateLimitStore } from './adapters/ratelimit/memory.js';
import { createRateLimiter, type RateLimitPolicy } from './middleware/rate-limit.js';
import type { RateLimitStore } from './adapters/ratelimit/store.js';
import { chatRouter } from './routes/chat/index.js';
import { conversationsRouter } from './routes/conversations/index.js';
import { docsRoutes } from './routes/docs/index.js';
import type { SwaggerUiAssets } from './routes/docs/swagger-ui.js';
import { documentsRouter } from './routes/documents/index.js';
import { healthRouter } from './routes/health/index.js';
import { projectsRouter } from './routes/projects/index.js';
import { createRouter } from './routes/router.js';
import { uiRoutes } from './routes/ui/index.js';
import { createServiceContainer } from './services/container.js';
import type { SqlParser, SqlParserLoader } from './services/guarded-sql/parser.js';

export const BODY_LIMIT_BYTES = 32 * 1024;

export type LogEntry = Record<string, unknown>;

export type AppDeps = {
  config: Config;
  /** The process-wide database (Node, Bun, Deno, tests)… */
  db?: Database;
  /** …or, on Workers, a database opened per request from its bindings and closed after it. */
  openRequestDatabase?: (env: unknown) => Database;
  /** Overrides the model built from the config (OPENAI_*); null disables the model. */
  model?: ChatModel | null;
  now?: () => Date;
  /** Where rate-limit counters live (Redis, the Workers binding); default: in this app's memory. */
  rateLimitStore?: RateLimitStore;
  /** Overrides the embedding model built from the config (OPENAI_EMBEDDING_MODEL); null disables it. */
  embeddings?: EmbeddingModel | null;
  /**
   * PostgreSQL's parser, for guarded model-written SQL; without it that feature is off. Either
   * the parser itself (Node, Bun, Deno load it at start-up) or a loader called on first use (the
   * Worker, whose parser is a separate module): see createServiceContainer.
   */
  sqlParser?: SqlParser | SqlParserLoader;
  /** Receives one structured entry per request and one per unexpected error. */
  log?: Log;
  /** Development mode only (the entry generated the signing secret): the chat page offers this token. */
  devToken?: string;
  /** Swagger UI's files, served by the app at /docs/assets (Node, Bun, Deno); without them /docs loads them from a pinned CDN URL with integrity (Workers). */
  swaggerUiAssets?: SwaggerUiAssets;
  /**
   * The client's address as the runtime saw the connection (each entry passes its runtime's
   * getConnInfo); used, unless CLIENT_IP_HEADER names a trusted proxy's header, to rate-limit
   * requests without a valid token per address. Without it they share one bucket.
   */
  clientAddress?: ClientAddressReader;
};

/** Never rate limited: liveness probes must not be refused (it does no I/O). */
const UNLIMITED_PATHS = ['/health'];

/**
 * Builds the whole API from its dependencies; the same object runs on every runtime. Build it
 * once per process or Worker isolate: its caches, compiled matchers, rate-limit counters and
 * model circuit breaker live as long as it does.
 */
export function createApp(deps: AppDeps) {
  const { config } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => {});
  const source = databaseSource(deps);

  const describeFailure = (error: unknown) => `urn:chat-api:problem:${toProblem(error).code}`;
  const bindServices = createServiceContainer({
    config,
    now,
    model: deps.model !== undefined ? deps.model : createModel(config),
    embeddings: deps.embeddings !== undefined ? deps.embeddings : createEmbeddings(config),
    sqlParser: deps.sqlParser,
    describeFailure,
    unfinishedTurnFailure: describeFailure(requestTimedOut(config.REQUEST_TIMEOUT_MS)),
  });
  // Three limiters over one store (keys are prefixed by policy), each announcing its own policies.
  const store = deps.rateLimitStore ?? createMemoryRateLimitStore();
  const limiter = (policies: RateLimitPolicy[]) =>
    createRateLimiter({
      store,
      policies,
      onLimited: (limited) => new ProblemError(429, 'rate-limited', limited.detail, { headers: limited.headers }),
      log,
    });
  const rateLimiter = limiter([
    { name: 'user', limit: config.RATE_LIMIT_USER_PER_MINUTE, windowSeconds: 60 },
    { name: 'project', limit: config.RATE_LIMIT_PROJECT_PER_MINUTE, windowSeconds: 60 },
  ]);
  const readRateLimiter = limiter([{ name: 'read', limit: config.RATE_LIMIT_USER_READ_PER_MINUTE, windowSeconds: 60 }]);
  const addressLimiter = limiter([{ name: 'address', limit: config.RATE_LIMIT_ADDRESS_PER_MINUTE, windowSeconds: 60 }]);
  const verifyAccessToken = createTokenVerifier(tokenSettingsFrom(config), now, log);

  const app = createRouter({ strict: false }); // /api/v1/chat and /api/v1/chat/ are the same route
  app.use(requestId());
  // Read first, while c.req.raw is still the runtime's own request (Bun's requestIP needs it).
  app.use(async (c, next) => {
    c.set('clientAddress', clientAddressOf(c, config.CLIENT_IP_HEADER, deps.clientAddress));
    await next();
  });
  app.use(requestLog(log));
  app.use(secureHeaders());
  if (config.CORS_ORIGINS.length > 0) {
    app.use(
      '/api/*',
      cors({
        origin: config.CORS_ORIGINS.includes('*') ? '*' : config.CORS_ORIGINS,
        allowMethods: ['POST', 'GET', 'DELETE', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
        exposeHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy', 'Siguiente', 'Link'],
        maxAge: 600,
      }),
    );
  }
  app.use('/api/*', requestDeadline({ requestMs: config.REQUEST_TIMEOUT_MS, bodyMs: config.REQUEST_BODY_TIMEOUT_MS }));
  app.use(requestContext(source, bindServices, { config, rateLimiter, readRateLimiter, verifyAccessToken, log }));
  // Before any route work and before the body is read: a flood without valid tokens stays cheap.
  app.use(
    identify({
      verifyAccessToken,
      addressLimiter,
      addressOf: (c) => addressKey(c.get('clientAddress')),
      unlimited: UNLIMITED_PATHS,
    }),
  );
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        problemResponse(
          c,
          new ProblemError(405, 'method-not-allowed', `${c.req.method} is not allowed here; use ${methods.join(', ')}`, {
            headers: { Allow: methods.join(', ') },
          }),
        ),
    }),
  );
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: BODY_LIMIT_BYTES,
      onError: () => {
        throw new ProblemError(413, 'payload-too-large', `the body must be at most ${BODY_LIMIT_BYTES} bytes`);
      },
    }),
  );

  app.route('/', chatRouter);
  app.route('/', conversationsRouter);
  app.route('/', projectsRouter);
  app.route('/', documentsRouter);
  app.route('/', uiRoutes({ devToken: deps.devToken, userIdClaim: config.JWT_USER_ID_CLAIM }));
  app.route('/', healthRouter);
  docsRoutes(app, deps.swaggerUiAssets);

  app.notFound((c) => problemResponse(c, new ProblemError(404, 'not-found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => problemResponse(c, problemOf(error, log, c.get('requestId'))));

  return app;
}

export type App = ReturnType<typeof createApp>;

function databaseSource(deps: AppDeps): DatabaseSource {
  if (deps.db && !deps.openRequestDatabase) return { shared: deps.db };
  if (deps.openRequestDatabase && !deps.db) return { perRequest: deps.openRequestDatabase };
  throw new Error('createApp needs exactly one of db and openRequestDatabase');
}

/** The embedding model for document search, when both a key and OPENAI_EMBEDDING_MODEL are set. */
function createEmbeddings(config: Config): EmbeddingModel | null {
  if (!config.OPENAI_API_KEY || !config.OPENAI_EMBEDDING_MODEL) return null;
  return createOpenAIEmbeddingModel(openAIOptions(config, config.OPENAI_API_KEY, config.OPENAI_EMBEDDING_MODEL));
}

/** One model on the configured OpenAI-compatible server. */
function openAIOptions(config: Config, apiKey: string, model: string): OpenAIModelOptions {
  return { apiKey, baseURL: config.OPENAI_BASE_URL, model, timeoutMs: config.OPENAI_TIMEOUT_MS, maxRetries: config.OPENAI_MAX_RETRIES };
}

/** The model from the OPENAI_* settings behind a circuit breaker (whose state lives as long as the app), or null without a key. */
function createModel(config: Config): ChatModel | null {
  if (!config.OPENAI_API_KEY) return null;
  const model = createOpenAIChatModel(openAIOptions(config, config.OPENAI_API_KEY, config.OPENAI_MODEL));
  return config.MODEL_BREAKER_FAILURES > 0
    ? withCircuitBreaker(model, { failures: config.MODEL_BREAKER_FAILURES, cooldownMs: config.MODEL_BREAKER_COOLDOWN_MS })
    : model;
}
