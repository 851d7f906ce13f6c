import { createMiddleware } from 'hono/factory';
import type { AppEnv, RequestContext } from '../app-env.js';
import type { Database } from '../adapters/db/database.js';
import type { Services } from '../services/container.js';

/**
 * Where requests get their database: one pool for the whole process (Node, Bun, Deno), or a
 * connection opened for each request from the runtime's bindings (Workers must not share I/O
 * objects across requests) and closed once the response — a streamed one included — is sent.
 */
export type DatabaseSource = { shared: Database } | { perRequest: (env: unknown) => Database };

/**
 * Hands every request what the app built once (settings, rate limiter, token verifier, log)
 * and the services over its database. With a shared database the services are bound once.
 */
export function requestContext(
  source: DatabaseSource,
  bind: (db: Database) => Services,
  shared: Omit<RequestContext, 'services'>,
) {
  const sharedServices = 'shared' in source ? bind(source.shared) : undefined;
  const open = 'perRequest' in source ? source.perRequest : undefined;
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set('config', shared.config);
    c.set('rateLimiter', shared.rateLimiter);
    c.set('readRateLimiter', shared.readRateLimiter);
    c.set('verifyAccessToken', shared.verifyAccessToken);
    c.set('log', shared.log);
    if (!open) {
      c.set('services', sharedServices!);
      return next();
    }
    const db = open(c.env);
    c.set('services', bind(db));
    try {
      await next();
    } catch (error) {
      c.executionCtx.waitUntil(db.close());
      throw error;
    }
    const body = c.res.body;
    if (!body || !c.res.headers.get('Content-Type')?.startsWith('text/event-stream')) {
      c.executionCtx.waitUntil(db.close());
      return;
    }
    // A streamed answer keeps using the database (it stores the answer at the end).
    const { readable, writable } = new TransformStream();
    c.executionCtx.waitUntil(body.pipeTo(writable).catch(() => {}).finally(() => db.close()));
    c.res = new Response(readable, c.res);
  });
}
