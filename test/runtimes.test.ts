import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { cleanEnv, runProcess, startProcess, type Started } from './support/processes.js';
import { accessToken, TEST_SECRET } from './support/tokens.js';

const READY = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

/** Each long-running runtime serves the same app object; `binary` is how we learn it can run here. */
const RUNTIMES = [
  { name: 'Node', script: 'start', binary: ['node', '--version'] },
  { name: 'Bun', script: 'start:bun', binary: ['npx', '--no-install', 'bun', '--version'] },
  { name: 'Deno', script: 'start:deno', binary: ['npx', '--no-install', 'deno', '--version'] },
] as const;

let test: TestDatabase;
let model: FakeOpenAI;
beforeAll(async () => {
  test = await createSeededDatabase('postgres');
  model = await new FakeOpenAI().start();
});
afterAll(async () => {
  await model?.stop();
  await test?.drop();
});

describe.each(RUNTIMES)('the API on $name', ({ name, script, binary }) => {
  let server: Started | undefined;
  let base = '';
  let unavailable: string | undefined;

  beforeAll(async () => {
    const probe = await runProcess(binary[0], [...binary.slice(1)], cleanEnv());
    if (probe.code !== 0) {
      unavailable = `${name} cannot run here: ${probe.output.trim().split('\n').slice(-3).join(' | ')}`;
      console.warn(`SKIPPED ${name} smoke test — ${unavailable}`);
      return;
    }
    server = await startProcess('npm', ['run', script], {
      env: cleanEnv({
        PORT: '0',
        DATABASE_URL: test.url!,
        JWT_SECRET_KEY: TEST_SECRET,
        OPENAI_API_KEY: 'sk-local',
        OPENAI_BASE_URL: model.baseURL,
        OPENAI_MAX_RETRIES: '0',
      }),
      ready: READY,
      timeoutMs: 60_000,
    });
    base = READY.exec(server.output())![1]!;
  }, 90_000);
  afterAll(() => server?.stop());

  const chat = (mensaje: string, proyecto: string, token = accessToken(1)) =>
    fetch(`${base}/api/v1/chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ mensaje, usuario_id: '1', proyecto }),
    });

  it('answers the seed question with the right count from PostgreSQL', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const response = await chat('¿Cuántas órdenes pendientes hay?', 'dashboard_miempresa');
    expect(response.status).toBe(200);
    const [row] = await test.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE project = 'dashboard_miempresa' AND status = 'pending'",
    );
    expect(await response.json()).toMatchObject({ fuente: 'database', datos: { count: row!.n } });
  });

  it('answers a general question through the local OpenAI-compatible server', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const response = await chat('Explícame qué es una orden inbound', 'conocimiento_general');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ fuente: 'openai', respuesta: 'Respuesta del modelo a: Explícame qué es una orden inbound' });
  });

  it('refuses a bad token with 401', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const response = await chat('¿Cuántas órdenes pendientes hay?', 'dashboard_miempresa', accessToken(1, {}, { secret: 'another-secret' }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});
