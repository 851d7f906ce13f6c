import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

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
export function internalProblem(): ProblemError {
  return new ProblemError(500, 'internal', 'an unexpected error occurred; quote the request id when reporting it');
}

/** An unexpected error as the log records it (never sent to clients). */
export function describeError(error: unknown) {
  return error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error);
}
