import { createMiddleware } from 'hono/factory';
import type { AppEnv, AuthFailure, Log } from '../app-env.js';

/** One structured line per request, written after the response is ready. */
export function requestLog(log: Log) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    log({
      level: c.res.status >= 500 ? 'error' : 'info',
      msg: 'request',
      request_id: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      user: c.get('user')?.id,
      ...authError(c.get('authFailure')),
      ...c.get('logFields'),
    });
  });
}

/** Why the request's token was refused (expired, bad signature, …): never the token itself. */
function authError(failure: AuthFailure | undefined): { auth_error?: string } {
  return failure && 'why' in failure ? { auth_error: failure.why } : {};
}
