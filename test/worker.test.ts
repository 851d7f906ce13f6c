import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { cleanEnv, startProcess, type Started } from './support/processes.js';
import { accessToken, TEST_SECRET } from './support/tokens.js';
import { freePort } from '../scripts/free-port.js';

const READY = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

/**
 * The Worker in the real Workers runtime: `npm run dev` starts wrangler dev (workerd) with the
 * Neon driver reaching the local PostgreSQL through the project's WebSocket bridge.
 */
describe('the API as a Cloudflare Worker (npm run dev → wrangler dev → workerd)', () => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  let worker: Started;
  let base: string;

  beforeAll(async () => {
    test = await createSeededDatabase('postgres');
    model = await new FakeOpenAI().start();
    worker = await startProcess('npm', ['run', 'dev'], {
      env: cleanEnv({
        PORT: String(await freePort()),
        DATABASE_URL: test.url!,
        JWT_SECRET_KEY: TEST_SECRET,
        OPENAI_API_KEY: 'sk-local',
        OPENAI_BASE_URL: model.baseURL,
        OPENAI_MAX_RETRIES: '0',
      }),
      ready: READY,
      timeoutMs: 90_000,
    });
    base = READY.exec(worker.output())![1]!;
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await model?.stop();
    await test?.drop();
  });

  const chat = (mensaje: string, proyecto: string, token = accessToken(1)) =>
    fetch(`${base}/api/v1/chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ mensaje, usuario_id: 1, proyecto }),
    });

  it('answers the seed question with the right count via the Neon driver', async () => {
    const response = await chat('¿Cuántas órdenes pendientes hay?', 'dashboard_miempresa');
    expect(response.status).toBe(200);
    const [row] = await test.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE project = 'dashboard_miempresa' AND status = 'pending'",
    );
    expect(await response.json()).toMatchObject({
      fuente: 'database',
      consulta: 'count_orders',
      datos: { count: row!.n },
      respuesta: `Hay ${row!.n} órdenes pendientes.`,
    });
  });

  it('keeps answering across requests (one pool per request)', async () => {
    const responses = await Promise.all(
      ['dashboard_miempresa', 'tienda_norte', 'logistica_sur', 'dashboard_miempresa'].map((p) => chat('¿Cuántas órdenes hay?', p)),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('answers a general question through the local OpenAI-compatible server', async () => {
    const response = await chat('Explícame qué es una orden inbound', 'conocimiento_general');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ fuente: 'openai', respuesta: 'Respuesta del modelo a: Explícame qué es una orden inbound' });
  });

  it('refuses a bad token with a 401 problem', async () => {
    const response = await chat('¿Cuántas órdenes pendientes hay?', 'dashboard_miempresa', accessToken(1, {}, { secret: 'not-the-secret' }));
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    expect((await fetch(`${base}/api/v1/openapi.json`)).status).toBe(200);
    expect((await fetch(`${base}/docs`)).status).toBe(200);
  });
});
