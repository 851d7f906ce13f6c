import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConfigError } from './config.js';
import { DatabaseUnavailableError } from './adapters/db/database.js';
import { ModelError } from './adapters/llm/model.js';
import { ForbiddenError, InvalidInputError, InvalidStoredModelError, LimitReachedError, ModelNotConfigured, NotFoundError } from './services/errors.js';

/** RFC 9457 problem details, the one error format of the API. */
export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id?: string;
  errors?: { path: string; message: string }[];
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Slugs for `type`; clients branch on them, so they are stable. */
export type ProblemCode =
  | 'invalid-request'
  | 'invalid-json'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'project-not-found'
  | 'method-not-allowed'
  | 'payload-too-large'
  | 'limit-reached'
  | 'unsupported-media-type'
  | 'model-not-configured'
  | 'model-unavailable'
  | 'model-rate-limited'
  | 'rate-limited'
  | 'model-timeout'
  | 'database-unavailable'
  | 'database-timeout'
  | 'request-timeout'
  | 'not-ready'
  | 'internal';

/** An error that the error handler turns into a problem answer. */
export class ProblemError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: { headers?: Record<string, string>; errors?: Problem['errors'] } = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }
}

export function problemResponse(c: Context, error: ProblemError): Response {
  return c.body(JSON.stringify(problemBody(error, c.req.path, c.get('requestId'))), error.status, {
    'Content-Type': 'application/problem+json',
    ...error.extra.headers,
  });
}

export function problemBody(error: ProblemError, instance?: string, requestId?: string): Problem {
  return {
    type: `urn:chat-api:problem:${error.code}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    detail: error.detail,
    ...(instance ? { instance } : {}),
    ...(requestId ? { request_id: requestId } : {}),
    ...(error.extra.errors ? { errors: error.extra.errors } : {}),
  };
}

/** The answer for a bug: nothing about it leaves the server but the request id. */
function internalProblem(): ProblemError {
  return new ProblemError(500, 'internal', 'an unexpected error occurred; quote the request id when reporting it');
}

/**
 * The one place errors become HTTP answers: domain, database, model and framework errors map
 * to their documented problems; anything else is a bug (500, `internal`), which the caller
 * logs (see `isUnexpected`).
 */
export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof NotFoundError) return new ProblemError(404, error.what === 'project' ? 'project-not-found' : 'not-found', error.message);
  if (error instanceof ForbiddenError) return new ProblemError(403, 'forbidden', error.message);
  if (error instanceof InvalidInputError) return new ProblemError(400, 'invalid-request', error.message);
  if (error instanceof LimitReachedError) return new ProblemError(409, 'limit-reached', error.message);
  if (error instanceof DatabaseUnavailableError) {
    return error.kind === 'timeout'
      ? new ProblemError(504, 'database-timeout', 'the database did not answer in time')
      : new ProblemError(503, 'database-unavailable', 'the database is unavailable; try again shortly', { headers: { 'Retry-After': '5' } });
  }
  if (error instanceof ModelNotConfigured) return new ProblemError(503, 'model-not-configured', `${error.message}; database questions still work`);
  if (error instanceof ModelError) return modelProblem(error);
  // A deployment mistake found while serving (e.g. a missing Worker binding): the log has the details.
  if (error instanceof ConfigError || error instanceof InvalidStoredModelError) {
    return new ProblemError(500, 'internal', 'the service is misconfigured; see its log');
  }
  if (error instanceof HTTPException && error.status < 500) return frameworkProblem(error.status);
  return internalProblem();
}

/**
 * The problem a failed request answers with; bugs and deployment mistakes (500) are logged
 * with their details, which clients never see (they get the request id).
 */
export function problemOf(error: unknown, log: (entry: Record<string, unknown>) => void, requestId: string | undefined): ProblemError {
  const problem = toProblem(error);
  if (problem.status === 500) log({ level: 'error', msg: 'unhandled error', request_id: requestId, error: describeError(error) });
  return problem;
}

function modelProblem(error: ModelError): ProblemError {
  switch (error.kind) {
    case 'timeout':
      return new ProblemError(504, 'model-timeout', error.message);
    case 'rate_limited':
      return new ProblemError(503, 'model-rate-limited', error.message, { headers: { 'Retry-After': String(error.retryAfterSeconds ?? 10) } });
    case 'circuit_open':
      return new ProblemError(503, 'model-unavailable', error.message, { headers: { 'Retry-After': String(error.retryAfterSeconds ?? 30) } });
    default:
      return new ProblemError(502, 'model-unavailable', error.message);
  }
}

/**
 * Raised by Hono's validators: a body that does not parse (400), or a JSON media type with
 * parameters the OpenAPI validator does not accept (415).
 */
function frameworkProblem(status: number): ProblemError {
  if (status === 400) return new ProblemError(400, 'invalid-json', 'the body is not valid JSON');
  if (status === 415) return unsupportedMediaType('send the body as JSON with Content-Type: application/json');
  return new ProblemError(status as ContentfulStatusCode, 'invalid-request', 'the request cannot be processed');
}

export function unsupportedMediaType(detail: string): ProblemError {
  return new ProblemError(415, 'unsupported-media-type', detail, { headers: { Accept: 'application/json' } });
}

/** 400 with every failing field listed in `errors`. */
export function invalidRequest(issues: readonly { path: readonly PropertyKey[]; message: string }[]): ProblemError {
  const errors = issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
  return new ProblemError(400, 'invalid-request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
}

/** An unexpected error as the log records it (never sent to clients). */
function describeError(error: unknown) {
  return error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error);
}
