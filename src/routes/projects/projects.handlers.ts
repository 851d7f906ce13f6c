import type { RouteConfigToEnv, RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import type { listProjectsRoute } from './projects.routes.js';

/** GET /api/v1/proyectos: what the chat page offers besides POST /api/v1/chat. */
export const listProjects: RouteHandler<typeof listProjectsRoute, AppEnv & RouteConfigToEnv<typeof listProjectsRoute>> = async (c) => {
  const projects = await c.var.services.projects.listFor(c.var.user.id);
  return c.json(projects.map((project) => ({ proyecto: project.slug, nombre: project.displayName })), 200);
};
