import { createRoute, z } from '@hono/zod-openapi';
import { requireUser } from '../../middleware/auth.js';
import { protectedRouteProblems } from '../problems.js';

export const ProjectListSchema = z
  .array(
    z.object({
      proyecto: z.string().openapi({ example: 'dashboard_miempresa' }),
      nombre: z.string().openapi({ example: 'Dashboard MiEmpresa' }),
    }),
  )
  .openapi('ProjectList');

export const listProjectsRoute = createRoute({
  method: 'get',
  path: '/api/v1/proyectos',
  tags: ['chat'],
  summary: 'The projects you may use',
  security: [{ Bearer: [] }],
  middleware: [requireUser] as const,
  responses: {
    200: { description: 'The projects open to everyone or to you, by name', content: { 'application/json': { schema: ProjectListSchema } } },
    ...protectedRouteProblems,
  },
});
