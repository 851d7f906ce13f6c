import { createRouter } from '../router.js';
import { health, ready } from './health.handlers.js';
import { healthRoute, readyRoute } from './health.routes.js';

export const healthRouter = createRouter().openapi(healthRoute, health).openapi(readyRoute, ready);
