import type { RequestIdVariables } from 'hono/request-id';
import type { AuthVariables } from './auth/middleware.js';

/** Facts about a request that its log line reports (never secrets; the question only when enabled). */
export type LogFields = {
  project?: string;
  fuente?: string;
  consulta?: string;
  db_ms?: number;
  model_ms?: number;
  model_tokens?: number;
  mensaje?: string;
};

/** Hono environment shared by the app and its routes. */
export type AppEnv = {
  Variables: RequestIdVariables &
    Partial<AuthVariables> & {
      /** Aborted when the client goes away or the request deadline passes. */
      signal?: AbortSignal;
      logFields?: LogFields;
    };
};
