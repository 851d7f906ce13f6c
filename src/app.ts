import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from './app-env.js';
import { requireUser } from './auth/middleware.js';
import { createTokenVerifier } from './auth/simplejwt.js';
import { tokenSettingsFrom } from './auth/settings.js';
import { createAnswerer } from './chat/answer.js';
import { createConversationStore } from './chat/conversations.js';
import { createProjectLookup } from './chat/projects.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { describeError, internalProblem, ProblemError, problemResponse } from './errors.js';
import type { ChatModel } from './llm/model.js';
import type { SqlParser } from './sql/parser.js';
import { withCircuitBreaker } from './llm/circuit-breaker.js';
import { createOpenAIChatModel } from './llm/openai.js';
import type { OpenAIModelOptions } from './llm/openai-client.js';
import { createMemoryRateLimitStore } from './ratelimit/memory.js';
import { createRateLimiter } from './ratelimit/middleware.js';
import type { RateLimitStore } from './ratelimit/store.js';
import { chatRoutes } from './routes/chat.js';
import { invalidRequest } from './routes/problems.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { projectRoutes } from './routes/projects.js';
import { documentRoutes } from './routes/documents.js';
import { createKnowledgeStore } from './knowledge/store.js';
import { createOpenAIEmbeddingModel, type EmbeddingModel } from './llm/embeddings.js';
import { uiRoutes } from './routes/ui.js';

export const BODY_LIMIT_BYTES = 32 * 1024;

export type LogEntry = Record<string, unknown>;

export type AppDeps = {
  config: Config;
  db: Database;
  /** Overrides the model built from the config (OPENAI_*); null disables the model. */
  model?: ChatModel | null;
  now?: () => Date;
  /** Where rate-limit counters live (Redis, the Workers binding); default: in this app's memory. */
  rateLimitStore?: RateLimitStore;
  /** Overrides the embedding model built from the config (OPENAI_EMBEDDING_MODEL); null disables it. */
  embeddings?: EmbeddingModel | null;
  /** PostgreSQL's parser, for guarded model-written SQL; without it that feature is off. */
  sqlParser?: SqlParser;
  /** Receives one structured entry per request and one per unexpected error. */
  log?: (entry: LogEntry) => void;
  /** Development mode only (the entry generated the signing secret): the chat page offers this token. */
  devToken?: string;
};

/** Builds the whole API from its dependencies; the same object runs on every runtime. */
export function createApp(deps: AppDeps) {
  const { config, db } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => {});

  const model = deps.model !== undefined ? deps.model : createModel(config);
  const verifyAccessToken = createTokenVerifier(tokenSettingsFrom(config), now, log);
  const embeddings = deps.embeddings !== undefined ? deps.embeddings : createEmbeddings(config);
  const knowledge = createKnowledgeStore({ db, embeddings });
  const answer = createAnswerer({
    knowledge,
    db,
    model,
    now,
    timeZone: config.APP_TIMEZONE,
    resultCacheTtlMs: config.RESULT_CACHE_TTL_MS,
    guardedSql: deps.sqlParser
      ? { parser: deps.sqlParser, rowLimit: config.GUARDED_SQL_ROW_LIMIT, timeoutMs: config.GUARDED_SQL_TIMEOUT_MS }
      : undefined,
  });

  const app = new OpenAPIHono<AppEnv>({
    strict: false, // /api/v1/chat and /api/v1/chat/ are the same route
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(result.error.issues);
    },
  });

  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    log({
      level: c.res.status >= 500 ? 'error' : 'info',
      msg: 'request',
      request_id: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      user: c.get('user')?.id,
      ...c.get('logFields'),
    });
  });
  app.use(secureHeaders());
  if (config.CORS_ORIGINS.length > 0) {
    app.use(
      '/api/*',
      cors({
        origin: config.CORS_ORIGINS.includes('*') ? '*' : config.CORS_ORIGINS,
        allowMethods: ['POST', 'GET', 'DELETE', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
        exposeHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
        maxAge: 600,
      }),
    );
  }
  app.use('/api/*', requestDeadline(config.REQUEST_TIMEOUT_MS));
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
  app.use('/api/v1/chat', async (c, next) => {
    if (c.req.method === 'POST' && !isJsonContentType(c.req.header('Content-Type'))) {
      throw unsupportedMediaType();
    }
    await next();
  });

  const rateLimiter = createRateLimiter({
    store: deps.rateLimitStore ?? createMemoryRateLimitStore(),
    policies: [
      { name: 'user', limit: config.RATE_LIMIT_USER_PER_MINUTE, windowSeconds: 60 },
      { name: 'project', limit: config.RATE_LIMIT_PROJECT_PER_MINUTE, windowSeconds: 60 },
    ],
    onLimited: (limited) => new ProblemError(429, 'rate-limited', limited.detail, { headers: limited.headers }),
    log,
  });
  const findProject = createProjectLookup(db, config.PROJECT_CACHE_TTL_MS);
  const conversations = createConversationStore(db, {
    historyTurns: config.CONVERSATION_HISTORY_TURNS,
    retentionDays: config.CONVERSATION_RETENTION_DAYS,
    now,
  });
  const authenticated = requireUser(verifyAccessToken);
  app.route(
    '/',
    chatRoutes({ findProject, answer, conversations, requireUser: authenticated, rateLimiter, logMessages: config.LOG_MESSAGES, log }),
  );
  app.route('/', projectRoutes({ db, conversations, requireUser: authenticated }));
  app.route(
    '/',
    documentRoutes({
      store: knowledge,
      findProject,
      requireUser: authenticated,
      adminUserIds: config.DOCUMENT_ADMIN_USER_IDS,
      adminClaim: config.DOCUMENT_ADMIN_CLAIM,
    }),
  );
  app.route('/', uiRoutes({ devToken: deps.devToken, userIdClaim: config.JWT_USER_ID_CLAIM }));
  app.route('/', healthRoutes(db));
  docsRoutes(app);

  app.notFound((c) => problemResponse(c, new ProblemError(404, 'not-found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    if (error instanceof ProblemError) return problemResponse(c, error);
    if (error instanceof HTTPException && error.status < 500) {
      // Raised by Hono's validators: a body that does not parse (400), or a JSON media type
      // with parameters the OpenAPI validator does not accept (415).
      return problemResponse(c, clientError(error.status));
    }
    log({
      level: 'error',
      msg: 'unhandled error',
      request_id: c.get('requestId'),
      error: describeError(error),
    });
    return problemResponse(c, internalProblem());
  });

  return app;
}

export type App = ReturnType<typeof createApp>;

/** The embedding model for document search, when both a key and OPENAI_EMBEDDING_MODEL are set. */
export function createEmbeddings(config: Config): EmbeddingModel | null {
  if (!config.OPENAI_API_KEY || !config.OPENAI_EMBEDDING_MODEL) return null;
  return createOpenAIEmbeddingModel(openAIOptions(config, config.OPENAI_API_KEY, config.OPENAI_EMBEDDING_MODEL));
}

/** One model on the configured OpenAI-compatible server. */
function openAIOptions(config: Config, apiKey: string, model: string): OpenAIModelOptions {
  return { apiKey, baseURL: config.OPENAI_BASE_URL, model, timeoutMs: config.OPENAI_TIMEOUT_MS, maxRetries: config.OPENAI_MAX_RETRIES };
}

/**
 * The model from the OPENAI_* settings behind a circuit breaker, or null without a key.
 * Its breaker state lives as long as the returned object: build it once per process
 * (or isolate) and pass it to createApp when apps are created per request.
 */
export function createModel(config: Config): ChatModel | null {
  if (!config.OPENAI_API_KEY) return null;
  const model = createOpenAIChatModel(openAIOptions(config, config.OPENAI_API_KEY, config.OPENAI_MODEL));
  return config.MODEL_BREAKER_FAILURES > 0
    ? withCircuitBreaker(model, { failures: config.MODEL_BREAKER_FAILURES, cooldownMs: config.MODEL_BREAKER_COOLDOWN_MS })
    : model;
}

/**
 * Bounds the whole request: past `ms` the client gets a 504 problem and the request's signal
 * aborts, which cancels an in-flight model call. The signal also aborts when the client leaves.
 */
function requestDeadline(ms: number) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const deadline = new AbortController();
    c.set('signal', AbortSignal.any([c.req.raw.signal, deadline.signal]));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        deadline.abort();
        reject(new ProblemError(504, 'request-timeout', `no answer within ${ms} ms`));
      }, ms);
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  });
}

function clientError(status: number): ProblemError {
  if (status === 400) return new ProblemError(400, 'invalid-json', 'the body is not valid JSON');
  if (status === 415) return unsupportedMediaType();
  return new ProblemError(status as ContentfulStatusCode, 'invalid-request', 'the request cannot be processed');
}

function unsupportedMediaType(): ProblemError {
  return new ProblemError(415, 'unsupported-media-type', 'send the body as JSON with Content-Type: application/json', {
    headers: { Accept: 'application/json' },
  });
}

function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && /^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i.test(value.trim());
}

