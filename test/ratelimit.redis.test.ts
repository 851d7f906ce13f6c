import { randomBytes } from 'node:crypto';
import { createServer, Socket, type Server } from 'node:net';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimitStore, type RedisRateLimitStore } from '../src/adapters/ratelimit/redis.js';
import { waitFor } from './support/wait.js';

/** The machine's Redis; every run uses its own key prefix and deletes its keys afterwards. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `chat-api-test:${process.pid}:${randomBytes(4).toString('hex')}:`;

const admin = createClient({ url: REDIS_URL, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
const stores: RedisRateLimitStore[] = [];

function store(options: Partial<Parameters<typeof createRedisRateLimitStore>[0]> = {}): RedisRateLimitStore {
  const created = createRedisRateLimitStore({ url: REDIS_URL, prefix: PREFIX, ...options });
  stores.push(created);
  return created;
}

async function untilReady(s: RedisRateLimitStore): Promise<void> {
  for (let i = 0; i < 150 && !s.ready; i++) await new Promise((r) => setTimeout(r, 20));
  expect(s.ready, `the store did not connect to ${REDIS_URL}`).toBe(true);
}

beforeAll(async () => {
  admin.on('error', () => {});
  try {
    await admin.connect();
    await admin.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${error instanceof Error ? error.message : error}); ` +
        `start it (redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no) or set TEST_REDIS_URL`,
    );
  }
});

afterAll(async () => {
  for (const s of stores) await s.close();
  if (admin.isReady) {
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length > 0) await admin.del(keys);
    admin.destroy();
  }
});

describe('Redis rate limit store (real Redis)', () => {
  it('allows `limit` hits per window, then refuses, and the key expires with its window', async () => {
    const s = store();
    await untilReady(s);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await s.hit('user:1', 3, 60));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
    expect(results[0]!.resetSeconds).toBe(60);
    expect(await admin.get(`${PREFIX}user:1`)).toBe('4');
    const ttl = await admin.pTTL(`${PREFIX}user:1`);
    expect(ttl).toBeGreaterThan(58_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('keeps separate counters for the user and the project keys', async () => {
    const s = store();
    await untilReady(s);
    expect(await s.hit('user:7', 1, 60)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await s.hit('user:7', 1, 60)).allowed).toBe(false);
    expect(await s.hit('project:tienda_norte', 5, 60)).toMatchObject({ allowed: true, remaining: 4 });
    expect(await s.hit('user:8', 1, 60)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('opens a new window once the old one expires', async () => {
    const s = store();
    await untilReady(s);
    expect((await s.hit('user:short', 1, 1)).allowed).toBe(true);
    const refused = await s.hit('user:short', 1, 1);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, resetSeconds: 1 });
    // Redis drops the key when its window ends: wait for that itself, not for a guess of when.
    await waitFor(async () => (await admin.exists(`${PREFIX}user:short`)) === 0, { what: 'the 1 s window key to expire' });
    expect(await s.hit('user:short', 1, 1)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('is atomic: 50 concurrent hits over two connections with limit 10 allow exactly 10', async () => {
    const a = store();
    const b = store();
    await Promise.all([untilReady(a), untilReady(b)]);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).hit('project:concurrent', 10, 60)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => !r.allowed)).toHaveLength(40);
    expect(new Set(results.filter((r) => r.allowed).map((r) => r.remaining))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(await admin.get(`${PREFIX}project:concurrent`)).toBe('50');
  });

  it('loads its script again after SCRIPT FLUSH (NOSCRIPT fallback)', async () => {
    const s = store();
    await untilReady(s);
    await s.hit('user:flush', 5, 60);
    await admin.scriptFlush();
    expect(await s.hit('user:flush', 5, 60)).toMatchObject({ allowed: true, remaining: 3 });
  });

  it('repairs a counter that has no expiry instead of limiting it forever', async () => {
    const s = store();
    await untilReady(s);
    await admin.set(`${PREFIX}user:stuck`, '100');
    expect((await s.hit('user:stuck', 5, 60)).allowed).toBe(false);
    expect(await admin.pTTL(`${PREFIX}user:stuck`)).toBeGreaterThan(0);
  });
});

describe('Redis rate limit store when Redis is unavailable: fails open, quickly', () => {
  it('nothing listening (127.0.0.1:1): allowed with a warning, within the timeout', async () => {
    const logs: Record<string, unknown>[] = [];
    const s = store({ url: 'redis://127.0.0.1:1', timeoutMs: 200, log: (entry) => logs.push(entry) });
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const result = await s.hit('user:1', 1, 60);
      expect(performance.now() - started).toBeLessThan(500);
      expect(result).toEqual({ allowed: true, resetSeconds: 60 });
    }
    expect(s.ready).toBe(false);
    // Warned, but not once per request.
    expect(logs.length).toBeGreaterThanOrEqual(1);
    expect(logs.length).toBeLessThanOrEqual(2);
    expect(logs[0]).toMatchObject({ level: 'warn', msg: expect.stringContaining('fail-open') });
  });

  it('a server that accepts connections and never answers: allowed within the timeout, no hang', async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    try {
      const logs: Record<string, unknown>[] = [];
      const s = store({ url: `redis://127.0.0.1:${address.port}`, timeoutMs: 200, log: (entry) => logs.push(entry) });
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: 10 }, () => s.hit('user:1', 1, 60)));
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(results.every((r) => r.allowed && r.remaining === undefined)).toBe(true);
      expect(logs.length).toBeGreaterThanOrEqual(1);
      await s.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('goes back to limiting once Redis is reachable', async () => {
    // A TCP proxy to the real Redis that the test cuts and restores.
    const target = new URL(REDIS_URL);
    const sockets = new Set<Socket>();
    let accepting = false;
    const proxy = createServer((client) => {
      if (!accepting) return client.destroy();
      const upstream = new Socket();
      upstream.connect(Number(target.port || 6379), target.hostname);
      client.pipe(upstream).pipe(client);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    try {
      const s = store({ url: `redis://127.0.0.1:${address.port}`, timeoutMs: 200 });
      expect(await s.hit('user:recover', 1, 60)).toEqual({ allowed: true, resetSeconds: 60 });
      accepting = true;
      await untilReady(s);
      expect(await s.hit('user:recover', 1, 60)).toMatchObject({ allowed: true, remaining: 0 });
      expect((await s.hit('user:recover', 1, 60)).allowed).toBe(false);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
