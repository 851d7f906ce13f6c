import { createMiddleware } from 'hono/factory';
import { ProblemError } from '../errors.js';
import { TokenRejected, type VerifiedUser } from './simplejwt.js';

export type AuthVariables = { user: VerifiedUser };

const CHALLENGE = 'Bearer realm="chat-api"';

/** Requires `Authorization: Bearer <access token>` and stores the verified user. */
export function requireUser(verifyAccessToken: (token: string) => Promise<VerifiedUser>) {
  return createMiddleware<{ Variables: AuthVariables }>(async (c, next) => {
    const header = c.req.header('Authorization');
    const match = header?.match(/^Bearer[ ]+([^\s]+)\s*$/i);
    if (!match?.[1]) {
      throw unauthorized(header ? 'the Authorization header must be "Bearer <token>"' : 'missing bearer token', CHALLENGE);
    }
    try {
      c.set('user', await verifyAccessToken(match[1]));
    } catch (error) {
      if (error instanceof TokenRejected) {
        throw unauthorized(error.message, `${CHALLENGE}, error="invalid_token", error_description="${error.message}"`);
      }
      throw error;
    }
    await next();
  });
}

function unauthorized(detail: string, challenge: string): ProblemError {
  return new ProblemError(401, 'unauthorized', detail, { headers: { 'WWW-Authenticate': challenge } });
}
