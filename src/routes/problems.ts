import type { MiddlewareHandler } from 'hono';
import type { AuthVariables } from '../auth/middleware.js';
import { DatabaseUnavailableError } from '../db/database.js';
import { ProblemError } from '../errors.js';
import { ProblemSchema } from './schemas.js';

/** Middleware a protected route runs before its handler (the verified user is set). */
export type RouteMiddleware = MiddlewareHandler<{ Variables: AuthVariables }>;

/** An OpenAPI response documented as an RFC 9457 problem. */
export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** 400 with every failing field listed in `errors`. */
export function invalidRequest(issues: readonly { path: readonly PropertyKey[]; message: string }[]): ProblemError {
  const errors = issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
  return new ProblemError(400, 'invalid-request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
}

/** Runs database work, turning a database outage (503) or timeout (504) into its problem. */
export async function withDatabase<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw databaseProblem(error);
    throw error;
  }
}

export function databaseProblem(error: DatabaseUnavailableError): ProblemError {
  return error.kind === 'timeout'
    ? new ProblemError(504, 'database-timeout', 'the database did not answer in time')
    : new ProblemError(503, 'database-unavailable', 'the database is unavailable; try again shortly', {
        headers: { 'Retry-After': '5' },
      });
}
