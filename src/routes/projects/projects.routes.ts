import { createRoute, z } from '@hono/zod-openapi';
import { limitReads, requireUser } from '../../middleware/auth.js';
import { protectedRouteProblems } from '../problems.js';

export const ProjectListSchema = z
  .array(
    z.object({
      proyecto: z.string().openapi({ example: 'dashboard_miempresa' }),
      nombre: z.string().openapi({ example: 'Dashboard MiEmpresa' }),
      sugerencias: z
        .array(z.string())
        .optional()
        .openapi({
          description:
            "A few questions the project answers from its data: its semantic model's examples (in `idioma` when given); absent for a project without a model or examples.",
          example: ['¿Cuántos pedidos pendientes hay?', 'Top 5 clientes por importe este mes'],
        }),
      etiquetas: z
        .record(z.string(), z.string())
        .optional()
        .openapi({
          description:
            "With a semantic model: display labels (in `idioma`, else Spanish) for the keys of its answers' rows — dimensions, joined dimensions (`cliente.nombre`), measures, summed columns — and for stored values as `dimension=value`.",
          example: { status: 'Estado', 'status=pending': 'Pendiente', ordenes: 'Número de órdenes' },
        }),
      formatos: z
        .record(z.string(), z.enum(['number', 'integer', 'currency']))
        .optional()
        .openapi({ description: "With a semantic model: each measure's format (also under the summed column's name).", example: { importe: 'currency' } }),
    }),
  )
  .openapi('ProjectList');

export const listProjectsRoute = createRoute({
  method: 'get',
  path: '/api/v1/proyectos',
  tags: ['chat'],
  summary: 'The projects you may use',
  security: [{ Bearer: [] }],
  middleware: [requireUser, limitReads] as const,
  request: {
    query: z.object({
      idioma: z.enum(['es', 'en']).optional().openapi({ description: 'Only suggested questions in this language (es or en).' }),
    }),
  },
  responses: {
    200: { description: 'The projects open to everyone or to you, by name', content: { 'application/json': { schema: ProjectListSchema } } },
    ...protectedRouteProblems,
  },
});
