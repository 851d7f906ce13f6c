import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AuthVariables } from '../auth/middleware.js';
import { ModelNotConfigured, type Answer, type Question } from '../chat/answer.js';
import type { ConversationStore } from '../chat/conversations.js';
import { mayUse, type Project } from '../chat/projects.js';
import { describeError, internalProblem, problemBody, ProblemError } from '../errors.js';
import { ModelError } from '../llm/model.js';
import type { RateLimiter } from '../ratelimit/middleware.js';
import type { AppEnv } from '../app-env.js';
import { problem, withDatabase, type RouteMiddleware } from './problems.js';
import { ChatRequestSchema, ChatResponseSchema, ConversationSchema } from './schemas.js';



const chatRoute = (requireUser: RouteMiddleware, limitPerUser: RouteMiddleware) =>
  createRoute({
    method: 'post',
    path: '/api/v1/chat',
    tags: ['chat'],
    summary: 'Ask a question about a project',
    description:
      'Answers from the project\'s data when the question matches a catalogue query ("fuente": "database"), ' +
      'otherwise from the language model, which may call the project\'s catalogue queries as tools ' +
      '(then "fuente" is "database" too) or answer itself with the project\'s prompt ("fuente": "openai"). ' +
      'Send `conversacion_id` to continue a conversation: earlier turns go to the model, and short follow-ups ' +
      '("¿y las enviadas?") refine the previous query. With `Accept: text/event-stream` the answer streams as ' +
      'server-sent events: `delta` events `{"texto": …}` with the model\'s text as it arrives, then one `answer` event ' +
      'whose data is the same JSON as the non-streamed answer (or one `error` event with a problem). ' +
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
      200: {
        description: 'The answer',
        content: {
          'application/json': { schema: ChatResponseSchema },
          'text/event-stream': {
            schema: z.string().openapi({
              description: 'event: delta / data: {"texto": "…"} (zero or more), then event: answer / data: <the JSON answer>, or event: error / data: <a problem>',
            }),
          },
        },
      },
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
  answer: (question: Question) => Promise<Answer>;
  conversations: ConversationStore;
  requireUser: RouteMiddleware;
  /** Per-user limit as route middleware, per-project limit once the user may use the project. */
  rateLimiter: RateLimiter;
  /** Put the question text in the log line (LOG_MESSAGES). */
  logMessages: boolean;
  log: (entry: Record<string, unknown>) => void;
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

    // The question is stored before the answer (or the failure) is, so nothing is lost. A new
    // conversation's first question is written while the answer is being worked out.
    const { context: conversation, stored } = body.conversacion_id
      ? { context: await withDatabase(() => deps.conversations.resume(body.mensaje, user.id, project.slug, body.conversacion_id!)), stored: Promise.resolve() }
      : deps.conversations.startNew(body.mensaje, user.id, project.slug);
    stored.catch(() => {}); // awaited below; this only keeps an early failure from being unhandled
    const question: Question = {
      text: body.mensaje,
      project,
      history: conversation.history,
      previousCall: conversation.previousCall,
      signal: c.get('signal') ?? c.req.raw.signal,
    };
    const respond = (answer: Answer) => {
      const { dbMs = 0, modelMs, modelTokens } = answer.metrics;
      c.set('logFields', {
        ...c.get('logFields'),
        fuente: answer.fuente,
        ...(answer.fuente === 'database' ? { consulta: answer.consulta } : {}),
        db_ms: Math.round((dbMs + lookupMs) * 10) / 10,
        ...(modelMs !== undefined ? { model_ms: modelMs } : {}),
        ...(modelTokens !== undefined ? { model_tokens: modelTokens } : {}),
      });
      return {
        respuesta: answer.respuesta,
        fuente: answer.fuente,
        proyecto: project.slug,
        ...(answer.fuente === 'database' ? { datos: answer.datos, consulta: answer.consulta } : {}),
        ...('sql' in answer ? { sql: answer.sql } : {}),
        ...(answer.fuente === 'documentos' ? { citas: answer.citas } : {}),
        conversacion_id: conversation.id,
        request_id: c.get('requestId'),
      };
    };
    const answerRecorded = async (q: Question): Promise<Answer> => {
      try {
        const answer = await answerOrProblem(() => deps.answer(q));
        await withDatabase(async () => {
          await stored;
          await deps.conversations.recordAnswer(conversation.id, answer);
        });
        return answer;
      } catch (error) {
        const code = error instanceof ProblemError ? error.code : 'internal';
        await stored
          .then(() => deps.conversations.recordFailure(conversation.id, `urn:chat-api:problem:${code}`))
          .catch(() => {});
        throw error;
      }
    };

    if (wantsEventStream(c)) {
      return streamSSE(c, async (stream) => {
        // A client that goes away stops the model call.
        const gone = new AbortController();
        stream.onAbort(() => gone.abort());
        try {
          const answer = await answerRecorded({
            ...question,
            signal: question.signal ? AbortSignal.any([question.signal, gone.signal]) : gone.signal,
            onDelta: (texto) => void stream.writeSSE({ event: 'delta', data: JSON.stringify({ texto }) }),
          });
          await stream.writeSSE({ event: 'answer', data: JSON.stringify(respond(answer)) });
          // The request's own log line was written when the stream began; this one has the outcome.
          deps.log({ level: 'info', msg: 'stream finished', request_id: c.get('requestId'), user: user.id, ...c.get('logFields') });
        } catch (error) {
          const problem = error instanceof ProblemError ? error : internalProblem();
          if (!(error instanceof ProblemError)) deps.log({ level: 'error', msg: 'unhandled error', request_id: c.get('requestId'), error: describeError(error) });
          await stream.writeSSE({ event: 'error', data: JSON.stringify(problemBody(problem, c.req.path, c.get('requestId'))) });
        }
      });
    }
    return c.json(respond(await answerRecorded(question)), 200);
  });

  app.openapi(conversationRoute(deps.requireUser), async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await withDatabase(() => deps.conversations.read(id, c.get('user').id)), 200);
  });
  return app;
}

const conversationRoute = (requireUser: RouteMiddleware) =>
  createRoute({
    method: 'get',
    path: '/api/v1/conversaciones/{id}',
    tags: ['chat'],
    summary: 'Read one of your conversations',
    security: [{ Bearer: [] }],
    middleware: [requireUser] as const,
    request: { params: z.object({ id: z.uuid('must be a conversation id') }) },
    responses: {
      200: { description: 'The conversation, oldest turn first', content: { 'application/json': { schema: ConversationSchema } } },
      400: problem('Not a conversation id'),
      401: problem('Missing, invalid or expired access token'),
      403: problem('The conversation belongs to another user'),
      404: problem('Unknown conversation'),
    },
  });

function wantsEventStream(c: Context): boolean {
  return /\btext\/event-stream\b/i.test(c.req.header('Accept') ?? '');
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
