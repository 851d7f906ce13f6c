import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore } from '../src/adapters/ratelimit/memory.js';
import { ask, buildApp, question } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { accessToken } from './support/tokens.js';

describe('rate limits on POST /api/v1/chat (the real app)', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
  });
  afterAll(() => test.drop());

  it('per user: 429 problem with Retry-After, RateLimit, RateLimit-Policy', async () => {
    const app = buildApp(test.db, { RATE_LIMIT_USER_PER_MINUTE: '2', RATE_LIMIT_PROJECT_PER_MINUTE: '100' });
    const ok = await ask(app, question('¿Cuántas órdenes pendientes hay?'));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('RateLimit-Policy')).toBe('"user";q=2;w=60, "project";q=100;w=60');
    expect(ok.headers.get('RateLimit')).toBe('"user";r=1;t=60');
    // An invalid body still counts for the user.
    expect((await ask(app, { mensaje: '' })).status).toBe(400);
    const refused = await ask(app, question('¿Cuántas órdenes pendientes hay?'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('Content-Type')).toBe('application/problem+json');
    expect(refused.headers.get('Retry-After')).toMatch(/^\d+$/);
    expect(refused.headers.get('RateLimit')).toMatch(/^"user";r=0;t=\d+$/);
    const body = await refused.json();
    expect(body).toMatchObject({ type: 'urn:chat-api:problem:rate-limited', title: 'Too Many Requests', status: 429, instance: '/api/v1/chat' });
    expect(body.request_id).toBe(refused.headers.get('X-Request-Id'));
  });

  it('per project: shared by users; users who may not use it do not spend it', async () => {
    const app = buildApp(test.db, { RATE_LIMIT_USER_PER_MINUTE: '100', RATE_LIMIT_PROJECT_PER_MINUTE: '2' }, { rateLimitStore: createMemoryRateLimitStore() });
    for (let i = 0; i < 5; i++) {
      const res = await ask(app, question('¿Cuántas órdenes pendientes hay?', 'finanzas_direccion'), { token: accessToken(1) });
      expect(res.status).toBe(403);
    }
    const q42 = question('¿Cuántas órdenes pendientes hay?', 'finanzas_direccion', '42');
    expect((await ask(app, q42, { token: accessToken(42) })).status).toBe(200);
    const last = await ask(app, q42, { token: accessToken(42) });
    expect(last.status).toBe(200);
    expect(last.headers.get('RateLimit')).toBe('"project";r=0;t=60');
    const refused = await ask(app, q42, { token: accessToken(42) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('RateLimit')).toBe('"project";r=0;t=60');
  });
});
