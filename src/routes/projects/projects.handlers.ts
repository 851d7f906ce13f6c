import type { RouteConfigToEnv, RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import { dataLabels } from './labels.js';
import type { listProjectsRoute } from './projects.routes.js';

/** GET /api/v1/proyectos: what the chat page offers besides POST /api/v1/chat. */
export const listProjects: RouteHandler<typeof listProjectsRoute, AppEnv & RouteConfigToEnv<typeof listProjectsRoute>> = async (c) => {
  const { idioma } = c.req.valid('query');
  const projects = await c.var.services.projectListing.listFor(c.var.user.id, idioma);
  return c.json(
    await Promise.all(
      projects.map(async (project) => {
        // Absent rather than [] when a project has none: the list stays as it was for catalogue projects.
        const labels = await labelsFor(c.var.services.projects, project.slug, idioma ?? 'es');
        return {
          proyecto: project.slug,
          nombre: project.displayName,
          ...(project.suggestions.length > 0 ? { sugerencias: project.suggestions } : {}),
          ...(labels && Object.keys(labels.etiquetas).length > 0 ? labels : {}),
        };
      }),
    ),
    200,
  );
};

/** The labels of a project's semantic model; none when it has no model (or one this version cannot read: listed without). */
async function labelsFor(projects: AppEnv['Variables']['services']['projects'], slug: string, language: 'es' | 'en') {
  try {
    const model = (await projects.existing(slug)).semantic?.model;
    return model ? dataLabels(model, language) : undefined;
  } catch {
    return undefined;
  }
}
