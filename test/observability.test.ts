import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../src/app.js';
import { ask, buildApp, question, type Settings } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { accessClaims, accessToken, signToken, TEST_SECRET } from './support/tokens.js';

describe('one structured log line per request, and CORS', () => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
    model = await new FakeOpenAI().start();
  });
  afterAll(async () => {
    await model?.stop();
    await test?.drop();
  });

  const logged = (settings: Settings = {}) => {
    const entries: LogEntry[] = [];
    const app = buildApp(test.db, { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, ...settings }, { log: (e) => entries.push(e) });
    return { app, entries };
  };

  it('reports who, what, where the time went and the answer source — without the question or the token', async () => {
    const { app, entries } = logged();
    const token = accessToken(1);
    const response = await ask(app, question('¿Cuántas órdenes pendientes hay?'), { token, headers: { 'X-Request-Id': 'log-test-1' } });
    expect(response.status).toBe(200);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'info',
      msg: 'request',
      request_id: 'log-test-1',
      method: 'POST',
      path: '/api/v1/chat',
      status: 200,
      user: '1',
      project: 'dashboard_miempresa',
      fuente: 'database',
      consulta: 'aggregate',
      duration_ms: expect.any(Number),
      db_ms: expect.any(Number),
    });
    const line = JSON.stringify(entries[0]);
    expect(line).not.toContain('órdenes');
    expect(line).not.toContain(token.split('.')[2]!);
    expect(line).not.toContain(TEST_SECRET);
  });

  it('reports model time and tokens for model answers', async () => {
    const { app, entries } = logged();
    expect((await ask(app, question('Explícame qué es una orden inbound', 'conocimiento_general'))).status).toBe(200);
    expect(entries[0]).toMatchObject({ fuente: 'openai', model_ms: expect.any(Number), model_tokens: 18 });
  });

  it('logs the question only when LOG_MESSAGES=true', async () => {
    const { app, entries } = logged({ LOG_MESSAGES: 'true' });
    await ask(app, question('¿Cuántas órdenes pendientes hay?'));
    expect(entries[0]?.mensaje).toBe('¿Cuántas órdenes pendientes hay?');
  });

  it('logs refused requests too, with their status', async () => {
    const { app, entries } = logged();
    await ask(app, question('hola'), { token: 'not-a-token' });
    expect(entries[0]).toMatchObject({ status: 401, level: 'info' });
    expect(entries[0]?.user).toBeUndefined();
  });

  it('says why a token was refused (expired, bad signature, wrong type, malformed…) without the token; the 401 stays as it was', async () => {
    const { app, entries } = logged();
    const cases = [
      ['expired', signToken(accessClaims(1, { exp: Math.floor(Date.now() / 1000) - 30 })), 'token expired'],
      ['bad signature', accessToken(1, {}, { secret: `${TEST_SECRET}-not-the-key` }), 'invalid token'],
      ['wrong token type (token_type is not "access")', accessToken(1, { token_type: 'refresh' }), 'not an access token'],
      ['malformed: not three base64url segments', 'garbage', 'invalid token'],
      ['not a "Bearer <token>" Authorization header', null, 'the Authorization header must be "Bearer <token>"'],
      ['missing bearer token', undefined, 'missing bearer token'],
    ] as const;
    for (const [why, token, detail] of cases) {
      entries.length = 0;
      const headers: Record<string, string> = token === undefined ? {} : token === null ? { Authorization: 'Basic dTpw' } : { Authorization: `Bearer ${token}` };
      const response = await app.request('/api/v1/proyectos', { headers });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { detail: string }).detail).toBe(detail);
      expect(entries).toEqual([expect.objectContaining({ msg: 'request', status: 401, auth_error: why })]);
      if (token) expect(JSON.stringify(entries)).not.toContain(token.split('.').at(-1)!);
    }
  });

  it('answers CORS preflights only for the configured origins', async () => {
    const app = buildApp(test.db, { CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' });
    const preflight = (origin: string) =>
      app.request('/api/v1/chat', {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
      });
    const allowed = await preflight('https://admin.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const other = await preflight('https://evil.example.net');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const noCors = await buildApp(test.db).request('/api/v1/chat', { method: 'OPTIONS', headers: { Origin: 'https://app.example.com' } });
    expect(noCors.headers.get('access-control-allow-origin')).toBeNull();
  });
});
