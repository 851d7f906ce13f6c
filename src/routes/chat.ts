import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AuthVariables } from '../auth/middleware.js';
import { ModelNotConfigured, type Answer } from '../chat/answer.js';
import { mayUse, type Project } from '../chat/projects.js';
import { DatabaseUnavailableError } from '../db/database.js';
import { ProblemError } from '../errors.js';
import { ModelError } from '../llm/model.js';
import type { RateLimiter } from '../ratelimit/middleware.js';
import type { AppEnv } from '../app-env.js';
import { ChatRequestSchema, ChatResponseSchema, ProblemSchema } from './schemas.js';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

type RouteMiddleware = MiddlewareHandler<{ Variables: AuthVariables }>;

const chatRoute = (requireUser: RouteMiddleware, limitPerUser: RouteMiddleware) =>
  createRoute({
    method: 'post',
    path: '/api/v1/chat',
    tags: ['chat'],
    summary: 'Ask a question about a project',
    description:
      'Answers from the project\'s data when the question matches a catalogue query ("fuente": "database"), ' +
      'otherwise from the language model with the project\'s prompt ("fuente": "openai"). ' +
      'Also served at `/api/v1/chat/`.',
    security: [{ Bearer: [] }],
    middleware: [requireUser, limitPerUser] as const,
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: ChatRequestSchema,
            examples: {
              database: {
                summary: 'A question answered from the database',
                value: { mensaje: '¿Cuántas órdenes pendientes hay?', usuario_id: '1', proyecto: 'dashboard_miempresa' },
              },
              general: {
                summary: 'A general question answered by the model',
                value: { mensaje: 'Explícame qué es una orden inbound', usuario_id: '1', proyecto: 'conocimiento_general' },
              },
            },
          },
        },
      },
    },
    responses: {
      200: { description: 'The answer', content: { 'application/json': { schema: ChatResponseSchema } } },
      400: problem('Invalid body: the failing fields are listed in `errors`'),
      401: problem('Missing, invalid or expired access token'),
      403: problem('`usuario_id` is not the token\'s user, or the user may not use the project'),
      404: problem('Unknown project'),
      413: problem('Body larger than 32 KiB'),
      415: problem('Body is not JSON'),
      429: problem(
        'Too many requests for this user or this project (RATE_LIMIT_USER_PER_MINUTE, RATE_LIMIT_PROJECT_PER_MINUTE): ' +
          '`Retry-After` says when to retry; `RateLimit` and `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers) describe the quota',
      ),
      502: problem('The language model failed'),
      503: problem('No language model is configured, the model provider is rate limiting, or the database is unavailable'),
      504: problem('The language model did not answer in time'),
    },
  });

export type ChatRouteDeps = {
  findProject: (slug: string) => Promise<Project | null>;
  answer: (question: string, project: Project, signal?: AbortSignal) => Promise<Answer>;
  requireUser: MiddlewareHandler<{ Variables: AuthVariables }>;
  /** Per-user limit as route middleware, per-project limit once the user may use the project. */
  rateLimiter: RateLimiter;
  /** Put the question text in the log line (LOG_MESSAGES). */
  logMessages: boolean;
};

export function chatRoutes(deps: ChatRouteDeps) {
  const app = new OpenAPIHono<AppEnv>();
  // Per user: every authenticated request counts, even one whose body is then refused.
  const limitPerUser = deps.rateLimiter.middleware<{ Variables: AuthVariables }>((c) => ({ user: c.get('user').id }));
  app.openapi(chatRoute(deps.requireUser, limitPerUser), async (c) => {
    const body = c.req.valid('json');
    const user = c.get('user');
    if (body.usuario_id !== user.id) {
      throw new ProblemError(403, 'forbidden', 'usuario_id does not match the authenticated user');
    }
    const lookupStarted = performance.now();
    const project = await withDatabase(() => deps.findProject(body.proyecto));
    const lookupMs = performance.now() - lookupStarted;
    c.set('logFields', { project: body.proyecto, ...(deps.logMessages ? { mensaje: body.mensaje } : {}) });
    if (!project) throw new ProblemError(404, 'project-not-found', `unknown project "${body.proyecto}"`);
    if (!mayUse(project, user.id)) {
      throw new ProblemError(403, 'forbidden', `user ${user.id} may not use project "${project.slug}"`);
    }
    // Per project: only requests that may use it count, so no one can spend another project's quota.
    await deps.rateLimiter.enforce(c, { project: project.slug });
    const answer = await answerOrProblem(() => deps.answer(body.mensaje, project, c.get('signal') ?? c.req.raw.signal));
    const { dbMs = 0, modelMs, modelTokens } = answer.metrics;
    c.set('logFields', {
      ...c.get('logFields'),
      fuente: answer.fuente,
      ...(answer.fuente === 'database' ? { consulta: answer.consulta } : {}),
      db_ms: Math.round((dbMs + lookupMs) * 10) / 10,
      ...(modelMs !== undefined ? { model_ms: modelMs } : {}),
      ...(modelTokens !== undefined ? { model_tokens: modelTokens } : {}),
    });
    const response = {
      respuesta: answer.respuesta,
      fuente: answer.fuente,
      proyecto: project.slug,
      ...(answer.fuente === 'database' ? { datos: answer.datos, consulta: answer.consulta } : {}),
      request_id: c.get('requestId'),
    };
    return c.json(response, 200);
  });
  return app;
}

async function withDatabase<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw databaseProblem(error);
    throw error;
  }
}

export function databaseProblem(error: DatabaseUnavailableError): ProblemError {
  return error.kind === 'timeout'
    ? new ProblemError(504, 'database-timeout', 'the database did not answer in time')
    : new ProblemError(503, 'database-unavailable', 'the database is unavailable; try again shortly', {
        headers: { 'Retry-After': '5' },
      });
}

/** Maps the answering failures a client can act on to problem answers. */
async function answerOrProblem(work: () => Promise<Answer>): Promise<Answer> {
  try {
    return await withDatabase(work);
  } catch (error) {
    if (error instanceof ModelNotConfigured) {
      throw new ProblemError(503, 'model-not-configured', `${error.message}; database questions still work`);
    }
    if (error instanceof ModelError) {
      switch (error.kind) {
        case 'timeout':
          throw new ProblemError(504, 'model-timeout', error.message);
        case 'rate_limited':
          throw new ProblemError(503, 'model-rate-limited', error.message, {
            headers: { 'Retry-After': String(error.retryAfterSeconds ?? 10) },
          });
        case 'circuit_open':
          throw new ProblemError(503, 'model-unavailable', error.message, {
            headers: { 'Retry-After': String(error.retryAfterSeconds ?? 30) },
          });
        default:
          throw new ProblemError(502, 'model-unavailable', error.message);
      }
    }
    throw error;
  }
}
