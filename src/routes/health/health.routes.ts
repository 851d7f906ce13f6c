import { createRoute, z } from '@hono/zod-openapi';
import { problem } from '../problems.js';

export const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['operations'],
  summary: 'Liveness: the process is up',
  responses: {
    200: { description: 'Alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } },
  },
});

export const readyRoute = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['operations'],
  summary: 'Readiness: the database is reachable and migrated',
  responses: {
    200: {
      description: 'Ready to answer',
      content: { 'application/json': { schema: z.object({ status: z.literal('ready'), database: z.literal('ok') }) } },
    },
    503: problem('Not ready'),
  },
});
