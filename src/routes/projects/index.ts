import { createRouter } from '../router.js';
import { listProjects } from './projects.handlers.js';
import { listProjectsRoute } from './projects.routes.js';

export const projectsRouter = createRouter().openapi(listProjectsRoute, listProjects);
