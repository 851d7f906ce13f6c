import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, buildApp, question } from './support/app.js';
import { createNodePostgresDatabase } from '../src/adapters/db/node-postgres.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { accessToken } from './support/tokens.js';

type Problem = { type: string; title: string; status: number; detail: string; request_id: string; errors?: { path: string; message: string }[] };

const post = (app: ReturnType<typeof buildApp>, body: BodyInit, headers: Record<string, string>) =>
  app.request('/api/v1/chat', { method: 'POST', headers: { Authorization: `Bearer ${accessToken(1)}`, ...headers }, body });

async function expectProblem(response: Response, status: number, type: string): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const body = (await response.json()) as Problem;
  expect(body).toMatchObject({ status, type: `urn:chat-api:problem:${type}` });
  expect(body.title).toEqual(expect.any(String));
  expect(body.detail).toEqual(expect.any(String));
  expect(body.request_id).toBe(response.headers.get('x-request-id'));
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+|node_modules/);
  return body;
}

describe('HTTP behaviour and the error format', () => {
  let test: TestDatabase;
  let app: ReturnType<typeof buildApp>;
  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
    app = buildApp(test.db);
  });
  afterAll(() => test?.drop());

  it.each([
    ['a missing mensaje', { usuario_id: '1', proyecto: 'dashboard_miempresa' }, 'mensaje'],
    ['a blank mensaje', question('   \n\t '), 'mensaje'],
    ['a mensaje over 4000 characters', question('á'.repeat(4001)), 'mensaje'],
    ['a numeric mensaje', question(42 as unknown as string), 'mensaje'],
    ['a missing usuario_id', { mensaje: 'hola', proyecto: 'dashboard_miempresa' }, 'usuario_id'],
    ['a usuario_id object', question('hola', 'dashboard_miempresa', { id: 1 }), 'usuario_id'],
    ['a fractional usuario_id', question('hola', 'dashboard_miempresa', 1.5), 'usuario_id'],
    ['a proyecto with spaces', question('hola', 'mi proyecto'), 'proyecto'],
    ['a proyecto over 64 characters', question('hola', 'p'.repeat(65)), 'proyecto'],
    ['an empty proyecto', question('hola', ''), 'proyecto'],
    ['a mensaje with an unpaired surrogate', question('hola \ud800 mundo'), 'mensaje'],
    ['a mensaje with a NUL character', question('hola\u0000mundo'), 'mensaje'],
    ['a conversacion_id that is not a UUID', { ...question('hola'), conversacion_id: "1' OR '1'='1" }, 'conversacion_id'],
  ])('400 for %s, naming the field', async (_name, body, field) => {
    const problem = await expectProblem(await ask(app, body), 400, 'invalid-request');
    expect(problem.errors?.map((e) => e.path)).toContain(field);
  });

  it('400 for a body that is not a JSON object', async () => {
    await expectProblem(await post(app, '[1,2,3]', { 'Content-Type': 'application/json' }), 400, 'invalid-request');
    await expectProblem(await post(app, '"hola"', { 'Content-Type': 'application/json' }), 400, 'invalid-request');
  });

  it('400 for malformed JSON', async () => {
    await expectProblem(await post(app, '{"mensaje": ', { 'Content-Type': 'application/json' }), 400, 'invalid-json');
  });

  it('accepts a mensaje of exactly 4000 characters after trimming', async () => {
    const response = await ask(app, question(`  ${'x'.repeat(4000)}  `));
    // the question is valid; with no model configured it is a 503, not a 400
    expect(response.status).toBe(503);
  });

  it('415 for a body that is not JSON', async () => {
    await expectProblem(await post(app, 'mensaje=hola', { 'Content-Type': 'application/x-www-form-urlencoded' }), 415, 'unsupported-media-type');
    await expectProblem(await post(app, 'hola', { 'Content-Type': 'text/plain' }), 415, 'unsupported-media-type');
    await expectProblem(await post(app, '{}', {}), 415, 'unsupported-media-type');
  });

  it('415, not 500, for JSON media types with parameters the validator refuses (found by fuzzing)', async () => {
    const body = JSON.stringify(question('¿Cuántas órdenes pendientes hay?'));
    for (const type of ['application/json;', 'application/json ; charset=utf-8', 'application/vnd.api2+json', 'application/json; charset']) {
      await expectProblem(await post(app, body, { 'Content-Type': type }), 415, 'unsupported-media-type');
    }
    expect((await post(app, body, { 'Content-Type': 'application/json; charset=utf-8' })).status).toBe(200);
  });

  it('413 for a body over 32 KiB, before parsing it', async () => {
    const huge = JSON.stringify(question('x'.repeat(40 * 1024)));
    await expectProblem(await post(app, huge, { 'Content-Type': 'application/json' }), 413, 'payload-too-large');
  });

  it('405 with Allow for another method on the chat route', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await app.request('/api/v1/chat', { method });
      await expectProblem(response, 405, 'method-not-allowed');
      expect(response.headers.get('allow')).toBe('POST');
    }
    const slash = await app.request('/api/v1/chat/', { method: 'GET' });
    await expectProblem(slash, 405, 'method-not-allowed');
  });

  it('404 problem for unknown routes', async () => {
    await expectProblem(await app.request('/api/v2/chat', { method: 'POST' }), 404, 'not-found');
  });

  it('honours a sane X-Request-Id and replaces an unsafe one', async () => {
    const kept = await ask(app, question('¿Cuántas órdenes pendientes hay?'), { headers: { 'X-Request-Id': 'client-abc_123' } });
    expect(kept.headers.get('x-request-id')).toBe('client-abc_123');
    expect(((await kept.json()) as { request_id: string }).request_id).toBe('client-abc_123');

    for (const unsafe of ['bad id with spaces', 'x'.repeat(300), '<script>']) {
      const replaced = await ask(app, question('¿Cuántas órdenes pendientes hay?'), { headers: { 'X-Request-Id': unsafe } });
      const id = replaced.headers.get('x-request-id');
      expect(id).not.toBe(unsafe);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('sets secure headers', async () => {
    const response = await ask(app, question('¿Cuántas órdenes pendientes hay?'));
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('500 without internals when the database breaks underneath', async () => {
    const broken = await createSeededDatabase('embedded');
    try {
      await broken.db.exec('DROP TABLE orders');
      const logged: Record<string, unknown>[] = [];
      const brokenApp = buildApp(broken.db, {}, { log: (entry) => logged.push(entry) });
      const problem = await expectProblem(await ask(brokenApp, question('¿Cuántas órdenes pendientes hay?')), 500, 'internal');
      expect(problem.detail).not.toMatch(/orders|relation|sql/i);
      // the details go to the log, with the same request id
      expect(logged.find((e) => e.msg === 'unhandled error')?.request_id).toBe(problem.request_id);
    } finally {
      await broken.drop();
    }
  });

  it('503 when the database is unreachable', async () => {
    // Nothing listens on port 1: every connection attempt is refused.
    const db = createNodePostgresDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/chat', connectTimeoutMs: 1_000 });
    try {
      const response = await ask(buildApp(db), question('¿Cuántas órdenes pendientes hay?'));
      await expectProblem(response, 503, 'database-unavailable');
      expect(response.headers.get('retry-after')).toBe('5');
    } finally {
      await db.close();
    }
  });

  it('answers liveness on /health', async () => {
    const response = await app.request('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});
