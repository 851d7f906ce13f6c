import { createRoute, z } from '@hono/zod-openapi';
import { limitPerUser, requireUser } from '../../middleware/auth.js';
import { requireJsonBody } from '../../middleware/json-body.js';
import { problem, protectedRouteProblems } from '../problems.js';
import { ChatRequestSchema, ChatResponseSchema } from './chat.schemas.js';

export const chatRoute = createRoute({
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
  middleware: [requireJsonBody('the body'), requireUser, limitPerUser] as const,
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
    401: protectedRouteProblems[401],
    403: problem('`usuario_id` is not the token\'s user, or the user may not use the project'),
    408: problem('The body was still arriving after REQUEST_BODY_TIMEOUT_MS (or REQUEST_TIMEOUT_MS): the connection is closed'),
    404: problem('Unknown project'),
    413: problem('Body larger than 32 KiB'),
    415: problem('Body is not JSON'),
    429: problem(
      'Too many requests for this user or this project (RATE_LIMIT_USER_PER_MINUTE, RATE_LIMIT_PROJECT_PER_MINUTE), ' +
        'or, without a valid token, from this client address (RATE_LIMIT_ADDRESS_PER_MINUTE): ' +
        '`Retry-After` says when to retry; `RateLimit` and `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers) describe the quota',
    ),
    502: problem('The language model failed'),
    503: problem('No language model is configured, the model provider is rate limiting, or the database is unavailable'),
    504: problem('The language model, the database or the whole request (REQUEST_TIMEOUT_MS) took too long'),
  },
});
