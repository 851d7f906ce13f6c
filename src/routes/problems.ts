import { ProblemSchema } from './schemas.js';

/** An OpenAPI response documented as an RFC 9457 problem. */
export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** The answers every protected route may give besides its own. */
export const protectedRouteProblems = {
  401: problem('Missing, invalid or expired access token'),
  503: problem('The database is unavailable (`Retry-After`)'),
  504: problem('The database or the whole request (REQUEST_TIMEOUT_MS) took too long'),
} as const;
