import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.js';
import { DatabaseUnavailableError, type Database } from '../db/database.js';
import { pendingMigrations } from '../db/migrations.js';
import { ProblemError } from '../errors.js';
import { ProblemSchema } from './schemas.js';

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['operations'],
  summary: 'Liveness: the process is up',
  responses: {
    200: {
      description: 'Alive',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
    },
  },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['operations'],
  summary: 'Readiness: the database is reachable and migrated',
  responses: {
    200: {
      description: 'Ready to answer',
      content: { 'application/json': { schema: z.object({ status: z.literal('ready'), database: z.literal('ok') }) } },
    },
    503: { description: 'Not ready', content: { 'application/problem+json': { schema: ProblemSchema } } },
  },
});

export function healthRoutes(db: Database) {
  return new OpenAPIHono<AppEnv>()
    .openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyRoute, async (c) => {
      let pending: string[];
      try {
        pending = await pendingMigrations(db);
      } catch (error) {
        if (error instanceof DatabaseUnavailableError) throw new ProblemError(503, 'not-ready', `database ${error.kind === 'timeout' ? 'too slow' : 'unreachable'}`, { headers: { 'Retry-After': '5' } });
        throw error;
      }
      if (pending.length > 0) throw new ProblemError(503, 'not-ready', `migrations pending: ${pending.join(', ')}`);
      return c.json({ status: 'ready' as const, database: 'ok' as const }, 200);
    });
}
