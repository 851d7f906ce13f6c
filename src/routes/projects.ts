import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.js';
import type { ConversationStore } from '../chat/conversations.js';
import type { Database } from '../db/database.js';
import { problem, withDatabase, type RouteMiddleware } from './problems.js';
import { PROJECT_SLUG } from './schemas.js';


export const ProjectListSchema = z
  .array(
    z.object({
      proyecto: z.string().openapi({ example: 'dashboard_miempresa' }),
      nombre: z.string().openapi({ example: 'Dashboard MiEmpresa' }),
    }),
  )
  .openapi('ProjectList');

export const ConversationListSchema = z
  .array(
    z.object({
      conversacion_id: z.string(),
      proyecto: z.string(),
      titulo: z.string().openapi({ description: 'The first question (at most 120 characters).' }),
      actualizado: z.string().openapi({ description: 'When the conversation last changed (ISO 8601).' }),
    }),
  )
  .openapi('ConversationList');


const projectsRoute = (requireUser: RouteMiddleware) =>
  createRoute({
    method: 'get',
    path: '/api/v1/proyectos',
    tags: ['chat'],
    summary: 'The projects you may use',
    security: [{ Bearer: [] }],
    middleware: [requireUser] as const,
    responses: {
      200: { description: 'The projects open to everyone or to you, by name', content: { 'application/json': { schema: ProjectListSchema } } },
      401: problem('Missing, invalid or expired access token'),
    },
  });

const conversationsRoute = (requireUser: RouteMiddleware) =>
  createRoute({
    method: 'get',
    path: '/api/v1/conversaciones',
    tags: ['chat'],
    summary: 'Your recent conversations',
    description: 'Your 50 most recently updated conversations, newest first; `proyecto` narrows them to one project.',
    security: [{ Bearer: [] }],
    middleware: [requireUser] as const,
    request: {
      query: z.object({ proyecto: z.string().regex(PROJECT_SLUG, 'must be 1..64 letters, digits, "_" or "-"').optional() }),
    },
    responses: {
      200: { description: 'Your conversations, newest first', content: { 'application/json': { schema: ConversationListSchema } } },
      400: problem('Invalid `proyecto`'),
      401: problem('Missing, invalid or expired access token'),
    },
  });

export type ProjectRouteDeps = { db: Database; conversations: ConversationStore; requireUser: RouteMiddleware };

/** What the chat page needs besides POST /api/v1/chat: the caller's projects and conversations. */
export function projectRoutes(deps: ProjectRouteDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(projectsRoute(deps.requireUser), async (c) => {
    const rows = await withDatabase(() =>
      deps.db.query<{ slug: string; display_name: string }>(
        'SELECT slug, display_name FROM projects WHERE open_to_all OR $1 = ANY (allowed_user_ids) ORDER BY display_name, slug',
        [c.get('user').id],
      ),
    );
    return c.json(rows.map((row) => ({ proyecto: row.slug, nombre: row.display_name })), 200);
  });
  app.openapi(conversationsRoute(deps.requireUser), async (c) => {
    const { proyecto } = c.req.valid('query');
    return c.json(await withDatabase(() => deps.conversations.list(c.get('user').id, proyecto)), 200);
  });
  return app;
}

