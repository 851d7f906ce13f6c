import { createMiddleware } from 'hono/factory';
import type { AuthedEnv } from '../app-env.js';
import { TokenRejected } from '../services/auth/simplejwt.js';
import { ProblemError } from '../errors.js';

const CHALLENGE = 'Bearer realm="chat-api"';

/** Requires `Authorization: Bearer <access token>` and stores the verified user. */
export const requireUser = createMiddleware<AuthedEnv>(async (c, next) => {
  const header = c.req.header('Authorization');
  const match = header?.match(/^Bearer[ ]+([^\s]+)\s*$/i);
  if (!match?.[1]) {
    throw unauthorized(header ? 'the Authorization header must be "Bearer <token>"' : 'missing bearer token', CHALLENGE);
  }
  try {
    c.set('user', await c.var.verifyAccessToken(match[1]));
  } catch (error) {
    if (error instanceof TokenRejected) {
      throw unauthorized(error.message, `${CHALLENGE}, error="invalid_token", error_description="${error.message}"`);
    }
    throw error;
  }
  await next();
});

/** Per user: every authenticated request counts, even one whose body is then refused. */
export const limitPerUser = createMiddleware<AuthedEnv>(async (c, next) => {
  await c.var.rateLimiter.enforce(c, { user: c.var.user.id });
  await next();
});

function unauthorized(detail: string, challenge: string): ProblemError {
  return new ProblemError(401, 'unauthorized', detail, { headers: { 'WWW-Authenticate': challenge } });
}
