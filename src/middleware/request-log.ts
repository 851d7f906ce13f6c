import { createMiddleware } from 'hono/factory';
import type { AppEnv, Log } from '../app-env.js';

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
      ...c.get('logFields'),
    });
  });
}
