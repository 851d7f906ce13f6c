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
  /** POST /api/v1/chat (and the other writes): per user, per project. */
  rateLimiter: RateLimiter;
  /** The GET endpoints: per user, a bucket apart from chat's. */
  readRateLimiter: RateLimiter;
  verifyAccessToken: (token: string) => Promise<VerifiedUser>;
  log: Log;
};

/**
 * Why a request is not authenticated: the 401 it gets on a protected route (`detail`, the
 * `WWW-Authenticate` challenge) and, for the log line only, the precise reason (`why`); or an
 * unexpected error of the verifier, rethrown where authentication is required.
 */
export type AuthFailure = { detail: string; challenge: string; why: string } | { error: unknown };

/** Hono environment shared by the app, its middleware and its routes. */
export type AppEnv = {
  Variables: RequestIdVariables &
    RequestContext & {
      /** Set by `identify` when the request carries a valid access token. */
      user?: VerifiedUser;
      /** Set by `identify` (or requireUser) when the token is missing or refused; the log line says why. */
      authFailure?: AuthFailure;
      /** The client's address (CLIENT_IP_HEADER when configured, else the connection's); undefined when unknown. */
      clientAddress?: string;
      /** Aborted when the client goes away or the request deadline passes. */
      signal?: AbortSignal;
      /** The request deadline (middleware/deadline.ts): `told` aborts with the error it sent; `settle` stops it. */
      deadline?: { told: AbortSignal; settle: () => void };
      logFields?: LogFields;
    };
};

/** The environment of a route behind requireUser: the user is there. */
export type AuthedEnv = { Variables: AppEnv['Variables'] & { user: VerifiedUser } };
