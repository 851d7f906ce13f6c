import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.js';
import { ProblemError } from '../errors.js';

/**
 * Bounds the whole request: past `ms` the client gets a 504 problem and the request's signal
 * aborts, which cancels an in-flight model call. The signal also aborts when the client leaves.
 */
export function requestDeadline(ms: number) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const deadline = new AbortController();
    c.set('signal', AbortSignal.any([c.req.raw.signal, deadline.signal]));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        deadline.abort();
        reject(new ProblemError(504, 'request-timeout', `no answer within ${ms} ms`));
      }, ms);
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  });
}
