import { Hono } from 'hono';
import { requestId, type RequestIdVariables } from 'hono/request-id';
import { Miniflare } from 'miniflare';
import { afterAll, describe, expect, it } from 'vitest';
import { createCloudflareRateLimitStore, type CloudflareRateLimitBinding } from '../src/adapters/ratelimit/cloudflare.js';
import { createMemoryRateLimitStore } from '../src/adapters/ratelimit/memory.js';
import { ProblemError, problemResponse } from '../src/errors.js';
import { createRateLimiter, type RateLimited, type RateLimiterOptions, type RateLimitPolicy } from '../src/middleware/rate-limit.js';
import type { RateLimitStore } from '../src/adapters/ratelimit/store.js';
import { waitFor } from './support/wait.js';

type TestEnv = { Variables: RequestIdVariables & { user: { id: string } } };

/**
 * A tiny app shaped like POST /api/v1/chat: authentication sets the user, the per-user policy
 * runs as route middleware, and the per-project policy runs in the handler once the body is
 * read and the user may use the project ("secret" is a project nobody may use here). A 429 is
 * the app's: onLimited throws the rate-limited ProblemError, the error handler answers it.
 */
function buildApp(options: Partial<RateLimiterOptions> & { policies?: RateLimitPolicy[] } = {}) {
  const clock = { t: Date.UTC(2026, 0, 1) };
  const limiter = createRateLimiter({
    store: createMemoryRateLimitStore({ now: () => clock.t }),
    policies: [
      { name: 'user', limit: 3, windowSeconds: 60 },
      { name: 'project', limit: 5, windowSeconds: 60 },
    ],
    onLimited: (limited) => new ProblemError(429, 'rate-limited', limited.detail, { headers: limited.headers }),
    ...options,
  });
  const app = new Hono<TestEnv>();
  app.use(requestId());
  app.onError((error, c) => {
    if (error instanceof ProblemError) return problemResponse(c, error);
    throw error;
  });
  app.use('/chat', async (c, next) => {
    const id = c.req.header('X-User');
    if (!id) return c.text('unauthorized', 401);
    c.set('user', { id });
    await next();
  });
  app.post(
    '/chat',
    async (c, next) => {
      await limiter.enforce(c, { user: c.get('user').id });
      await next();
    },
    async (c) => {
      const body = await c.req.json<{ proyecto: string }>();
      if (body.proyecto === 'secret') return c.json({ error: 'forbidden' }, 403);
      await limiter.enforce(c, { project: body.proyecto });
      return c.json({ ok: true, proyecto: body.proyecto });
    },
  );
  return { app, clock, limiter };
}

const ask = (app: Hono<TestEnv>, user: string, proyecto = 'dashboard_miempresa') =>
  app.request('/chat', { method: 'POST', headers: { 'X-User': user, 'Content-Type': 'application/json' }, body: JSON.stringify({ proyecto }) });

const POLICY = '"user";q=3;w=60, "project";q=5;w=60';

describe('rate limit middleware', () => {
  it('answers with RateLimit-Policy and the tightest RateLimit on success', async () => {
    const { app } = buildApp();
    const res = await ask(app, '1');
    expect(res.status).toBe(200);
    expect(res.headers.get('RateLimit-Policy')).toBe(POLICY);
    // user: 2 of 3 left; project: 4 of 5 left → the user policy is the tightest.
    expect(res.headers.get('RateLimit')).toBe('"user";r=2;t=60');
    expect(res.headers.get('Retry-After')).toBeNull();
  });

  it('refuses the user past the per-user limit with a 429 problem, Retry-After and the header fields', async () => {
    const { app, clock } = buildApp();
    for (let i = 0; i < 3; i++) expect((await ask(app, '1')).status).toBe(200);
    clock.t += 20_000;
    const res = await ask(app, '1');
    expect(res.status).toBe(429);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(res.headers.get('Retry-After')).toBe('40');
    expect(res.headers.get('RateLimit')).toBe('"user";r=0;t=40');
    expect(res.headers.get('RateLimit-Policy')).toBe(POLICY);
    const body = await res.json();
    expect(body).toEqual({
      type: 'urn:chat-api:problem:rate-limited',
      title: 'Too Many Requests',
      status: 429,
      detail: 'user rate limit exceeded: at most 3 requests per 60 s; retry in 40 s',
      instance: '/chat',
      request_id: res.headers.get('X-Request-Id'),
    });
    // Another user is not affected.
    expect((await ask(app, '2')).status).toBe(200);
  });

  it('lets the user in again when the window ends (injected clock)', async () => {
    const { app, clock } = buildApp();
    for (let i = 0; i < 3; i++) await ask(app, '1');
    expect((await ask(app, '1')).status).toBe(429);
    clock.t += 60_000;
    const res = await ask(app, '1');
    expect(res.status).toBe(200);
    expect(res.headers.get('RateLimit')).toBe('"user";r=2;t=60');
  });

  it('limits the project across users: both keys must pass', async () => {
    const { app } = buildApp();
    for (const user of ['a', 'b', 'c', 'd', 'e']) expect((await ask(app, user)).status).toBe(200);
    const res = await ask(app, 'f');
    expect(res.status).toBe(429);
    expect(res.headers.get('RateLimit')).toBe('"project";r=0;t=60');
    expect((await res.json()).detail).toMatch(/^project rate limit exceeded/);
    // Another project still answers.
    expect((await ask(app, 'f', 'tienda_norte')).status).toBe(200);
  });

  it('reports the project policy when it is the tightest', async () => {
    const { app } = buildApp();
    for (const user of ['a', 'b', 'c']) await ask(app, user);
    const res = await ask(app, 'd');
    // user d: 2 of 3 left; project: 1 of 5 left.
    expect(res.headers.get('RateLimit')).toBe('"project";r=1;t=60');
  });

  it('does not charge the project for requests refused by the per-user limit', async () => {
    const { app } = buildApp();
    for (let i = 0; i < 10; i++) await ask(app, 'flooder'); // 3 pass, 7 refused by the user policy
    for (const user of ['a', 'b']) expect((await ask(app, user)).status).toBe(200);
    expect((await ask(app, 'c')).status).toBe(429); // 3 + 2 = the project's 5
  });

  it('does not charge a project for users who may not use it', async () => {
    const { app } = buildApp({ policies: [{ name: 'user', limit: 100, windowSeconds: 60 }, { name: 'project', limit: 2, windowSeconds: 60 }] });
    for (let i = 0; i < 10; i++) expect((await ask(app, 'outsider', 'secret')).status).toBe(403);
    expect((await ask(app, 'a', 'dashboard_miempresa')).status).toBe(200);
  });

  it('a limit of 0 disables that policy', async () => {
    const { app } = buildApp({ policies: [{ name: 'user', limit: 0, windowSeconds: 60 }, { name: 'project', limit: 50, windowSeconds: 60 }] });
    for (let i = 0; i < 20; i++) expect((await ask(app, '1')).status).toBe(200);
    const res = await ask(app, '1');
    expect(res.headers.get('RateLimit-Policy')).toBe('"project";q=50;w=60');
    expect(res.headers.get('RateLimit')).toBe('"project";r=29;t=60');
  });

  it('with every policy disabled, sends no header fields and never limits', async () => {
    const { app } = buildApp({ policies: [{ name: 'user', limit: 0, windowSeconds: 60 }, { name: 'project', limit: 0, windowSeconds: 60 }] });
    for (let i = 0; i < 20; i++) {
      const res = await ask(app, '1');
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit-Policy')).toBeNull();
      expect(res.headers.get('RateLimit')).toBeNull();
    }
  });

  it('throws the error onLimited builds, with everything a 429 needs', async () => {
    class Limited extends Error {
      constructor(readonly info: RateLimited) {
        super(info.detail);
      }
    }
    const { app } = buildApp({ onLimited: (info) => new Limited(info) });
    app.onError((error, c) => {
      if (error instanceof Limited) return c.json({ mine: true, policy: error.info.policy.name }, 429, error.info.headers);
      throw error;
    });
    for (let i = 0; i < 3; i++) await ask(app, '1');
    const res = await ask(app, '1');
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ mine: true, policy: 'user' });
    expect(res.headers.get('Retry-After')).toBe('60');
    expect(res.headers.get('RateLimit')).toBe('"user";r=0;t=60');
    expect(res.headers.get('RateLimit-Policy')).toBe(POLICY);
  });

  it('fails open with a warning when the store throws', async () => {
    const logs: Record<string, unknown>[] = [];
    const broken: RateLimitStore = { hit: () => Promise.reject(new Error('store exploded')) };
    const { app } = buildApp({ store: broken, log: (entry) => logs.push(entry) });
    for (let i = 0; i < 10; i++) {
      const res = await ask(app, '1');
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit-Policy')).toBe(POLICY);
      expect(res.headers.get('RateLimit')).toBeNull(); // nothing known to report
    }
    expect(logs).toHaveLength(1); // throttled, not one per request
    expect(logs[0]).toMatchObject({ level: 'warn', error: 'Error: store exploded' });
  });

  it('keeps the header fields on error answers after the limit passed', async () => {
    const { app } = buildApp();
    // Like the real app's error handler: the answer is built on the same context.
    app.onError((_error, c) => c.json({ error: 'invalid-json' }, 400));
    const res = await app.request('/chat', { method: 'POST', headers: { 'X-User': '1', 'Content-Type': 'application/json' }, body: '{' });
    expect(res.status).toBe(400);
    expect(res.headers.get('RateLimit')).toBe('"user";r=2;t=60');
    expect(res.headers.get('RateLimit-Policy')).toBe(POLICY);
  });

  it('refuses invalid policies at construction', () => {
    const store = createMemoryRateLimitStore();
    const onLimited = () => new Error('limited');
    expect(() => createRateLimiter({ store, onLimited, policies: [{ name: 'a"b', limit: 1, windowSeconds: 60 }] })).toThrow(/name/);
    expect(() => createRateLimiter({ store, onLimited, policies: [{ name: 'user', limit: -1, windowSeconds: 60 }] })).toThrow(/limit/);
    expect(() => createRateLimiter({ store, onLimited, policies: [{ name: 'user', limit: 1, windowSeconds: 0 }] })).toThrow(/windowSeconds/);
  });
});

describe('Cloudflare rate limiting binding (Miniflare, the local Workers runtime)', () => {
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response("ok") } }',
    ratelimits: {
      RATE_LIMITER_USER: { simple: { limit: 3, period: 60 } },
      RATE_LIMITER_PROJECT: { simple: { limit: 5, period: 60 } },
    },
  });
  afterAll(() => mf.dispose());
  const PERIOD_MS = 60_000;
  const windowNumber = () => Math.floor(Date.now() / PERIOD_MS);
  const msLeftInWindow = () => PERIOD_MS - (Date.now() % PERIOD_MS);

  const binding = (value: unknown): CloudflareRateLimitBinding => {
    if (typeof value !== 'object' || value === null || !('limit' in value) || typeof value.limit !== 'function') {
      throw new Error('not a rate limiting binding');
    }
    const limit = value.limit.bind(value);
    return { limit: async (options) => ({ success: Boolean((await limit(options))?.success) }) };
  };

  it('limits per user and per project through the bindings; 429 reports the configured window', async () => {
    const env = await mf.getBindings();
    const store = createCloudflareRateLimitStore({
      bindings: { user: binding(env.RATE_LIMITER_USER), project: binding(env.RATE_LIMITER_PROJECT) },
    });
    const { app } = buildApp({ store });
    // The binding counts per fixed wall-clock window of its period (Miniflare: Date.now() / 60 s),
    // and every count is lost when one ends; the counts below hold only inside one window. So they
    // start with at least 10 s of it left (the seven requests take milliseconds), or in the next.
    await waitFor(() => msLeftInWindow() >= 10_000, { timeoutMs: 15_000, intervalMs: 50, what: 'a rate-limit window with 10 s left' });
    const window = windowNumber();
    const first = await ask(app, 'cf-1');
    expect(first.status).toBe(200);
    expect(first.headers.get('RateLimit-Policy')).toBe(POLICY);
    // The binding tells neither the remaining quota nor the reset time: no RateLimit on success.
    expect(first.headers.get('RateLimit')).toBeNull();
    await ask(app, 'cf-1');
    await ask(app, 'cf-1');
    const refused = await ask(app, 'cf-1');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('Retry-After')).toBe('60');
    expect(refused.headers.get('RateLimit')).toBe('"user";r=0;t=60');
    // Project: 3 counted so far (the refused request stopped at the user policy); 2 more pass.
    expect((await ask(app, 'cf-2')).status).toBe(200);
    expect((await ask(app, 'cf-3')).status).toBe(200);
    const projectRefused = await ask(app, 'cf-4');
    expect(projectRefused.status).toBe(429);
    expect(projectRefused.headers.get('RateLimit')).toBe('"project";r=0;t=60');
    expect(windowNumber(), 'the requests all fell in one rate-limit window').toBe(window);
  });

  it('sends policies without a binding to the fallback store, and fails open when a binding throws', async () => {
    const logs: Record<string, unknown>[] = [];
    const fallback = createMemoryRateLimitStore();
    const store = createCloudflareRateLimitStore({
      bindings: { user: { limit: () => Promise.reject(new Error('binding down')) } },
      fallback,
      log: (entry) => logs.push(entry),
    });
    expect(await store.hit('user:1', 1, 60)).toEqual({ allowed: true, resetSeconds: 60 });
    expect(await store.hit('user:1', 1, 60)).toEqual({ allowed: true, resetSeconds: 60 });
    expect(logs).toHaveLength(1);
    expect(await store.hit('project:p', 1, 60)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await store.hit('project:p', 1, 60)).toMatchObject({ allowed: false });
    expect(fallback.size).toBe(1);
  });
});
