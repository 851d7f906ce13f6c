import type { RequestIdVariables } from 'hono/request-id';
import type { VerifiedUser } from './services/auth/simplejwt.js';
import type { Config } from './config.js';
import type { RateLimiter } from './middleware/rate-limit.js';
import type { Services } from './services/container.js';

/** Facts about a request that its log line reports (never secrets; the question only when enabled). */
export type LogFields = {
  project?: string;
  project_cache?: 'hit' | 'miss' | 'off';
  fuente?: string;
  consulta?: string;
  db_ms?: number;
  model_ms?: number;
  model_tokens?: number;
  mensaje?: string;
};

export type Log = (entry: Record<string, unknown>) => void;

/** What the app hands every request: built once per process or isolate, except `services`' database. */
export type RequestContext = {
  config: Config;
  /** The services over this request's database. */
  services: Services;
  rateLimiter: RateLimiter;
  verifyAccessToken: (token: string) => Promise<VerifiedUser>;
  log: Log;
};

/** Hono environment shared by the app, its middleware and its routes. */
export type AppEnv = {
  Variables: RequestIdVariables &
    RequestContext & {
      /** Set by requireUser on protected routes. */
      user?: VerifiedUser;
      /** Aborted when the client goes away or the request deadline passes. */
      signal?: AbortSignal;
      logFields?: LogFields;
    };
};

/** The environment of a route behind requireUser: the user is there. */
export type AuthedEnv = { Variables: AppEnv['Variables'] & { user: VerifiedUser } };
