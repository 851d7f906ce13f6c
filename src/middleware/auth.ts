import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, AuthedEnv, AuthFailure } from '../app-env.js';
import { TokenRejected, type VerifiedUser } from '../services/auth/simplejwt.js';
import { ProblemError } from '../errors.js';
import type { RateLimiter } from './rate-limit.js';

const CHALLENGE = 'Bearer realm="chat-api"';

export type IdentifyOptions = {
  verifyAccessToken: (token: string) => Promise<VerifiedUser>;
  /** Counts requests without a valid token per client address (policy `address`). */
  addressLimiter: RateLimiter;
  /** The client address's rate-limit key. */
  addressOf: (c: Context) => string;
  /** Paths never limited by address (liveness probes). */
  unlimited: readonly string[];
};

/**
 * Every request, before any route: verifies a bearer token when one is sent (setting `user`, or
 * `authFailure` with the reason), and counts each request that ends up without a valid token —
 * none, a bad one, a malformed header, a public page — against its client address. Past
 * RATE_LIMIT_ADDRESS_PER_MINUTE such requests get 429 instead of their 401 (or page), before any
 * route work, database or body reading. Requests with a valid token never spend the address's
 * quota: they have their own per-user limits, so users behind one proxy or NAT are not starved
 * by a neighbour's bad tokens (verification itself costs microseconds and never touches the
 * database).
 */
export function identify(options: IdentifyOptions) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('Authorization');
    if (header) {
      const token = header.match(/^Bearer[ ]+([^\s]+)\s*$/i)?.[1];
      if (!token) {
        c.set('authFailure', refusal('the Authorization header must be "Bearer <token>"', CHALLENGE, 'not a "Bearer <token>" Authorization header'));
      } else {
        try {
          c.set('user', await options.verifyAccessToken(token));
        } catch (error) {
          c.set(
            'authFailure',
            error instanceof TokenRejected
              ? refusal(error.message, `${CHALLENGE}, error="invalid_token", error_description="${error.message}"`, error.why)
              : { error },
          );
        }
      }
    }
    if (!c.get('user') && !options.unlimited.includes(c.req.path)) {
      await options.addressLimiter.enforce(c, { address: options.addressOf(c) });
    }
    await next();
  });
}

/** Requires a valid `Authorization: Bearer <access token>` (checked by `identify`): 401 otherwise. */
export const requireUser = createMiddleware<AuthedEnv>(async (c, next) => {
  if (!(c.get('user') as VerifiedUser | undefined)) {
    const failure: AuthFailure = c.get('authFailure') ?? refusal('missing bearer token', CHALLENGE, 'missing bearer token');
    if ('error' in failure) throw failure.error;
    c.set('authFailure', failure);
    throw new ProblemError(401, 'unauthorized', failure.detail, { headers: { 'WWW-Authenticate': failure.challenge } });
  }
  await next();
});

/** Per user, chat's bucket: every authenticated request counts, even one whose body is then refused. */
export const limitPerUser = createMiddleware<AuthedEnv>(async (c, next) => {
  await c.var.rateLimiter.enforce(c, { user: c.var.user.id });
  await next();
});

/** Per user, the GET endpoints' bucket (RATE_LIMIT_USER_READ_PER_MINUTE). */
export const limitReads = createMiddleware<AuthedEnv>(async (c, next) => {
  await c.var.readRateLimiter.enforce(c, { read: c.var.user.id });
  await next();
});

function refusal(detail: string, challenge: string, why: string): Extract<AuthFailure, { why: string }> {
  return { detail, challenge, why };
}
