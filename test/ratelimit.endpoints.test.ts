import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../src/app.js';
import { createCloudflareRateLimitStore } from '../src/adapters/ratelimit/cloudflare.js';
import { createMemoryRateLimitStore } from '../src/adapters/ratelimit/memory.js';
import { createRedisRateLimitStore, type RedisRateLimitStore } from '../src/adapters/ratelimit/redis.js';
import { ask, buildApp, question, type Settings } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { accessToken, signToken, accessClaims } from './support/tokens.js';

/**
 * Issue 14, "every endpoint is rate limited": the GET endpoints per user (a bucket apart from
 * chat's), the document writes in the user bucket, and everything without a valid token per
 * client address — on the real PostgreSQL, through a real Node HTTP server where the address
 * matters (it comes from the socket).
 */
let test: TestDatabase;
let conversationId: string;
const ADMIN = '7';

beforeAll(async () => {
  test = await createSeededDatabase('postgres');
  const answer = await ask(buildApp(test.db), question('¿Cuántas órdenes pendientes hay?'));
  expect(answer.status).toBe(200);
  conversationId = ((await answer.json()) as { conversacion_id: string }).conversacion_id;
}, 120_000);
afterAll(() => test?.drop());

const send = (app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, method: string, path: string, token: string | null, body?: unknown) =>
  app.request(path, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

async function expectRateLimited(response: Response, policy: string) {
  expect(response.status).toBe(429);
  expect(response.headers.get('Content-Type')).toBe('application/problem+json');
  expect(response.headers.get('Retry-After')).toMatch(/^\d+$/);
  expect(response.headers.get('RateLimit')).toMatch(new RegExp(`^"${policy}";r=0;t=\\d+$`));
  expect(response.headers.get('RateLimit-Policy')).toMatch(new RegExp(`"${policy}";q=\\d+;w=60`));
  expect(await response.json()).toMatchObject({ type: 'urn:chat-api:problem:rate-limited', status: 429 });
}

describe('per user on every authenticated endpoint', () => {
  const reads = [
    ['GET /api/v1/proyectos', '/api/v1/proyectos'],
    ['GET /api/v1/conversaciones', '/api/v1/conversaciones'],
    ['GET /api/v1/conversaciones/{id}', () => `/api/v1/conversaciones/${conversationId}`],
    ['GET /api/v1/proyectos/{p}/documentos', '/api/v1/proyectos/conocimiento_general/documentos'],
  ] as const;

  it.each(reads)('%s: RATE_LIMIT_USER_READ_PER_MINUTE, a bucket apart from chat and from other users', async (_, path) => {
    const url = typeof path === 'function' ? path() : path;
    const app = buildApp(test.db, { RATE_LIMIT_USER_READ_PER_MINUTE: '2', RATE_LIMIT_USER_PER_MINUTE: '5', DOCUMENT_ADMIN_USER_IDS: '1' });
    const first = await send(app, 'GET', url, accessToken(1));
    expect(first.status).toBe(200);
    expect(first.headers.get('RateLimit-Policy')).toBe('"read";q=2;w=60');
    expect(first.headers.get('RateLimit')).toBe('"read";r=1;t=60');
    expect((await send(app, 'GET', url, accessToken(1))).status).toBe(200);
    await expectRateLimited(await send(app, 'GET', url, accessToken(1)), 'read');
    // Chat keeps its own budget; another user keeps theirs.
    expect((await ask(app, question('¿Cuántas órdenes pendientes hay?'))).status).toBe(200);
    expect((await send(app, 'GET', '/api/v1/proyectos', accessToken(2))).status).toBe(200);
  });

  it('document uploads and deletions spend the user bucket (RATE_LIMIT_USER_PER_MINUTE)', async () => {
    const app = buildApp(test.db, { RATE_LIMIT_USER_PER_MINUTE: '2', DOCUMENT_ADMIN_USER_IDS: ADMIN });
    const path = '/api/v1/proyectos/conocimiento_general/documentos';
    const created = await send(app, 'POST', path, accessToken(ADMIN), { titulo: 'Límites', contenido: 'Un documento breve.', tipo: 'text/plain' });
    expect(created.status).toBe(201);
    expect(created.headers.get('RateLimit')).toBe('"user";r=1;t=60');
    const { id } = (await created.json()) as { id: string };
    expect((await send(app, 'DELETE', `${path}/${id}`, accessToken(ADMIN))).status).toBe(204);
    await expectRateLimited(await send(app, 'POST', path, accessToken(ADMIN), { titulo: 'Otro', contenido: 'Texto.', tipo: 'text/plain' }), 'user');
    await expectRateLimited(await send(app, 'DELETE', `${path}/${id}`, accessToken(ADMIN)), 'user');
  });
});

/** The app behind a real Node HTTP server, the client address read from the socket as the Node entry does. */
async function listen(settings: Settings, extra: Partial<AppDeps> = {}) {
  const app = buildApp(test.db, settings, { clientAddress: (c) => getConnInfo(c).remote.address, ...extra });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    get: (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const BAD_SIGNATURE = accessToken(1, {}, { secret: 'another-secret-that-is-long-enough-0123456789abcdef' });

describe('per client address, for requests without a valid token', () => {
  it('a flood of invalid tokens gets 429, not unlimited 401s; valid tokens from the same address still pass', async () => {
    const server = await listen({ RATE_LIMIT_ADDRESS_PER_MINUTE: '3', RATE_LIMIT_USER_READ_PER_MINUTE: '100' });
    try {
      const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
      const first = await server.get('/api/v1/proyectos', bearer(BAD_SIGNATURE));
      expect(first.status).toBe(401);
      expect(first.headers.get('RateLimit-Policy')).toBe('"address";q=3;w=60');
      expect(first.headers.get('RateLimit')).toBe('"address";r=2;t=60');
      expect((await server.get('/api/v1/proyectos', bearer('not-a-token'))).status).toBe(401);
      expect((await server.get('/api/v1/proyectos')).status).toBe(401); // no token at all
      const refused = await server.get('/api/v1/proyectos', bearer(BAD_SIGNATURE));
      await expectRateLimited(refused, 'address');
      expect(refused.headers.get('WWW-Authenticate')).toBeNull();
      // A header the client controls does not move it to another bucket (CLIENT_IP_HEADER is unset).
      await expectRateLimited(await server.get('/api/v1/proyectos', { ...bearer(BAD_SIGNATURE), 'X-Forwarded-For': '203.0.113.9', 'CF-Connecting-IP': '203.0.113.9' }), 'address');
      // Public pages, unknown routes and wrong methods count as the same anonymous traffic…
      for (const path of ['/ready', '/docs', '/api/v1/openapi.json', '/', '/no-such-page']) await expectRateLimited(await server.get(path), 'address');
      // …but /health (liveness) never is, and a valid token never spends the address's quota.
      expect((await server.get('/health')).status).toBe(200);
      const valid = await server.get('/api/v1/proyectos', bearer(accessToken(1)));
      expect(valid.status).toBe(200);
      expect(valid.headers.get('RateLimit-Policy')).toBe('"read";q=100;w=60');
      const chat = await fetch(`${server.base}/api/v1/chat`, {
        method: 'POST',
        headers: { ...bearer(accessToken(1)), 'Content-Type': 'application/json' },
        body: JSON.stringify(question('¿Cuántas órdenes pendientes hay?')),
      });
      expect(chat.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('with CLIENT_IP_HEADER set (a trusted proxy), each address of that header has its own bucket; a list gives its last entry', async () => {
    const server = await listen({ RATE_LIMIT_ADDRESS_PER_MINUTE: '1', CLIENT_IP_HEADER: 'X-Forwarded-For' });
    try {
      const from = (forwarded: string) => server.get('/api/v1/proyectos', { 'X-Forwarded-For': forwarded });
      expect((await from('198.51.100.1')).status).toBe(401);
      await expectRateLimited(await from('198.51.100.1'), 'address');
      // the proxy appends the address it saw: the client's own first entries are not trusted
      await expectRateLimited(await from('203.0.113.50, 198.51.100.1'), 'address');
      expect((await from('198.51.100.2')).status).toBe(401);
      // one IPv6 client holds a /64: its addresses share a bucket
      expect((await from('2001:db8:1:2::1')).status).toBe(401);
      await expectRateLimited(await from('2001:db8:1:2:ffff::9'), 'address');
      // without the header (a request that did not come through the proxy), the socket's address
      expect((await server.get('/api/v1/proyectos')).status).toBe(401);
      await expectRateLimited(await server.get('/api/v1/proyectos'), 'address');
    } finally {
      await server.close();
    }
  });

  it('the same limit on the Redis store and through a Cloudflare rate-limiting binding', async () => {
    const redis: RedisRateLimitStore = createRedisRateLimitStore({
      url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: `chat-api:test:endpoints:${crypto.randomUUID()}:`,
    });
    const calls: string[] = [];
    let count = 0;
    const cloudflare = createCloudflareRateLimitStore({
      bindings: { address: { limit: async ({ key }) => (calls.push(key), { success: ++count <= 2 }) } },
      fallback: createMemoryRateLimitStore(),
    });
    try {
      for (const rateLimitStore of [redis, cloudflare]) {
        const server = await listen({ RATE_LIMIT_ADDRESS_PER_MINUTE: '2' }, { rateLimitStore });
        try {
          // the Redis client connects in the background: until then it fails open (allows)
          if (rateLimitStore === redis) await expect.poll(() => redis.ready, { timeout: 10_000 }).toBe(true);
          expect((await server.get('/api/v1/proyectos', { Authorization: `Bearer ${BAD_SIGNATURE}` })).status).toBe(401);
          expect((await server.get('/api/v1/proyectos')).status).toBe(401);
          await expectRateLimited(await server.get('/api/v1/proyectos'), 'address');
        } finally {
          await server.close();
        }
      }
      expect(calls).toEqual(['address:127.0.0.1', 'address:127.0.0.1', 'address:127.0.0.1']);
    } finally {
      await redis.close();
    }
  });

  it('an expired token or a refresh token counts as no valid token', async () => {
    const app = buildApp(test.db, { RATE_LIMIT_ADDRESS_PER_MINUTE: '2' });
    const expired = signToken(accessClaims(1, { exp: Math.floor(Date.now() / 1000) - 10 }));
    expect((await send(app, 'GET', '/api/v1/proyectos', expired)).status).toBe(401);
    expect((await send(app, 'GET', '/api/v1/proyectos', accessToken(1, { token_type: 'refresh' }))).status).toBe(401);
    await expectRateLimited(await send(app, 'GET', '/api/v1/proyectos', expired), 'address');
    expect((await send(app, 'GET', '/api/v1/proyectos', accessToken(1))).status).toBe(200);
  });
});
