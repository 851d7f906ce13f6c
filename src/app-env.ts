import type { RequestIdVariables } from 'hono/request-id';
import type { AuthVariables } from './auth/middleware.js';

/** Hono environment shared by the app and its routes. */
export type AppEnv = { Variables: RequestIdVariables & Partial<AuthVariables> };
