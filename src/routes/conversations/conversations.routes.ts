import { createRoute, z } from '@hono/zod-openapi';
import { limitReads, requireUser } from '../../middleware/auth.js';
import { problem, protectedRouteProblems } from '../problems.js';
import {
  ConversationListHeadersSchema, ConversationListQuerySchema, ConversationListSchema, ConversationPageQuerySchema, ConversationSchema,
} from './conversations.schemas.js';

export const listConversationsRoute = createRoute({
  method: 'get',
  path: '/api/v1/conversaciones',
  tags: ['chat'],
  summary: 'Your recent conversations',
  description:
    'Your most recently updated conversations, newest first, `limite` per page (50 by default); `proyecto` narrows them to one ' +
    'project. The body is the page (an array, as before pagination); the `Siguiente` header (and `Link` with rel="next") ' +
    'says where the next page starts: pass it as `despues`.',
  security: [{ Bearer: [] }],
  middleware: [requireUser, limitReads] as const,
  request: { query: ConversationListQuerySchema },
  responses: {
    200: {
      description: 'A page of your conversations, newest first',
      headers: ConversationListHeadersSchema,
      content: { 'application/json': { schema: ConversationListSchema } },
    },
    400: problem('Invalid `proyecto`, `limite` or `despues`'),
    ...protectedRouteProblems,
  },
});

export const readConversationRoute = createRoute({
  method: 'get',
  path: '/api/v1/conversaciones/{id}',
  tags: ['chat'],
  summary: 'Read one of your conversations',
  description: 'One page of the conversation, oldest turn first: follow `siguiente` (as `despues`) for the next page.',
  security: [{ Bearer: [] }],
  middleware: [requireUser, limitReads] as const,
  request: { params: z.object({ id: z.uuid('must be a conversation id') }), query: ConversationPageQuerySchema },
  responses: {
    200: { description: 'A page of the conversation, oldest turn first', content: { 'application/json': { schema: ConversationSchema } } },
    400: problem('Not a conversation id, or an invalid `limite` or `despues`'),
    403: problem('The conversation belongs to another user'),
    404: problem('Unknown conversation'),
    ...protectedRouteProblems,
  },
});
