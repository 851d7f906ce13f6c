import type { RouteConfigToEnv, RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import type { listProjectsRoute } from './projects.routes.js';

/** GET /api/v1/proyectos: what the chat page offers besides POST /api/v1/chat. */
export const listProjects: RouteHandler<typeof listProjectsRoute, AppEnv & RouteConfigToEnv<typeof listProjectsRoute>> = async (c) => {
  const { idioma } = c.req.valid('query');
  const projects = await c.var.services.projectListing.listFor(c.var.user.id, idioma);
  return c.json(
    projects.map((project) => ({
      proyecto: project.slug,
      nombre: project.displayName,
      // Absent rather than [] when a project has none: the list stays as it was for catalogue projects.
      ...(project.suggestions.length > 0 ? { sugerencias: project.suggestions } : {}),
    })),
    200,
  );
};
