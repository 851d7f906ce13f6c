import { ProblemSchema } from './schemas.js';

/** An OpenAPI response documented as an RFC 9457 problem. */
export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** The answers every protected route may give besides its own. */
export const protectedRouteProblems = {
  401: problem('Missing, invalid or expired access token'),
  429: problem(
    'Too many requests: per user (RATE_LIMIT_USER_PER_MINUTE for writes, RATE_LIMIT_USER_READ_PER_MINUTE for reads), per project, ' +
      'or, without a valid token, per client address (RATE_LIMIT_ADDRESS_PER_MINUTE). `Retry-After` says when to retry; ' +
      '`RateLimit` and `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers) describe the quota',
  ),
  503: problem('The database is unavailable (`Retry-After`)'),
  504: problem('The database or the whole request (REQUEST_TIMEOUT_MS) took too long'),
} as const;
