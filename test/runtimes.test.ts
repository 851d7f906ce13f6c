import { delimiter, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unavailable } from './support/ci.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { request } from 'node:http';
import { cleanEnv, runProcess, startProcess, type Started } from './support/processes.js';
import { hangUpAll, slowRequest } from './support/raw-http.js';
import { accessToken, TEST_SECRET } from './support/tokens.js';

const READY = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

const INSTALL_SCRIPT_FIX = (pkg: string) =>
  `${pkg} comes from npm as a dev dependency whose install script fetches the binary: approve it ` +
  `(npm install-scripts approve ${pkg}, recorded in package.json's allowScripts) and install without --ignore-scripts.`;

/** Each long-running runtime serves the same app object; `binary --version` is how we learn it can run here. */
const RUNTIMES = [
  { name: 'Node', script: 'start', binary: 'node', fix: 'Node runs this suite, so it is always there.' },
  { name: 'Bun', script: 'start:bun', binary: 'bun', fix: INSTALL_SCRIPT_FIX('bun') },
  { name: 'Deno', script: 'start:deno', binary: 'deno', fix: INSTALL_SCRIPT_FIX('deno') },
] as const;

/** The PATH `npm run` gives a script (node_modules/.bin first), so the probe finds what the script will. */
function scriptEnv(): NodeJS.ProcessEnv {
  const env = cleanEnv();
  return { ...env, PATH: `${resolve('node_modules', '.bin')}${delimiter}${env.PATH ?? ''}` };
}

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

// Outside CI a runtime that cannot run is skipped with a loud warning; with CI=true it fails the run.
describe.each(RUNTIMES)('the API on $name', ({ name, script, binary, fix }) => {
  let server: Started | undefined;
  let base = '';
  let skipped: string | undefined;

  beforeAll(async () => {
    const probe = await runProcess(binary, ['--version'], scriptEnv());
    if (probe.code !== 0) {
      const reason = `\`${binary} --version\` failed (exit ${probe.code}): ${probe.output.trim().split('\n').slice(-3).join(' | ')}`;
      skipped = unavailable(`${name} (npm run ${script})`, reason, fix);
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
        RATE_LIMIT_ADDRESS_PER_MINUTE: '3',
        REQUEST_BODY_TIMEOUT_MS: '500',
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
    if (skipped) return ctx.skip(skipped);
    const response = await chat('¿Cuántas órdenes pendientes hay?', 'dashboard_miempresa');
    expect(response.status).toBe(200);
    const [row] = await test.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE project = 'dashboard_miempresa' AND status = 'pending'",
    );
    expect(await response.json()).toMatchObject({ fuente: 'database', datos: { count: row!.n } });
  });

  it('answers a general question through the local OpenAI-compatible server', async (ctx) => {
    if (skipped) return ctx.skip(skipped);
    const response = await chat('Explícame qué es una orden inbound', 'conocimiento_general');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ fuente: 'openai', respuesta: 'Respuesta del modelo a: Explícame qué es una orden inbound' });
  });

  it('serves Swagger UI\'s pinned files itself, so /docs needs no network', async (ctx) => {
    if (skipped) return ctx.skip(skipped);
    const html = await (await fetch(`${base}/docs`)).text();
    const bundle = /<script src="(\/docs\/assets\/[\d.]+\/swagger-ui-bundle\.js)"><\/script>/.exec(html);
    expect(bundle, html.slice(0, 2000)).not.toBeNull();
    const response = await fetch(`${base}${bundle![1]}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('immutable');
    expect((await response.text()).length).toBeGreaterThan(1_000_000);
  });

  it('refuses a bad token with 401', async (ctx) => {
    if (skipped) return ctx.skip(skipped);
    const response = await chat('¿Cuántas órdenes pendientes hay?', 'dashboard_miempresa', accessToken(1, {}, { secret: 'another-secret' }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it("limits requests without a valid token per client address, read from the runtime's own connection info", async (ctx) => {
    if (skipped) return ctx.skip(skipped);
    const port = Number(new URL(base).port);
    // a GET from a given loopback source address (Linux routes all of 127/8 to lo)
    const get = (from: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/v1/proyectos', localAddress: from, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.once('error', reject);
        req.end();
      });
    // source addresses no other test uses, so earlier anonymous requests (127.0.0.1) spend nothing here
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await get('127.0.0.3', { 'X-Forwarded-For': `198.51.100.${i}` }));
    expect(statuses).toEqual([401, 401, 401, 429]); // RATE_LIMIT_ADDRESS_PER_MINUTE=3; X-Forwarded-For ignored
    // another client address has its own quota: the runtime told them apart
    expect(await get('127.0.0.4')).toBe(401);
    // a valid token is never refused by the address limit
    expect(await get('127.0.0.3', { Authorization: `Bearer ${accessToken(1)}` })).toBe(200);
  });

  it('answers a body that stops arriving with 408 request-timeout', async (ctx) => {
    if (skipped) return ctx.skip(skipped);
    const body = JSON.stringify({ mensaje: 'hola', usuario_id: '1', proyecto: 'dashboard_miempresa' });
    const head = ['POST /api/v1/chat HTTP/1.1', `Host: ${new URL(base).host}`, 'Content-Type: application/json', `Authorization: Bearer ${accessToken(1)}`, `Content-Length: ${body.length}`].join('\r\n');
    const exchange = await slowRequest(Number(new URL(base).port), head, body, { first: 3, stall: true });
    expect(exchange.status).toBe(408);
    expect(JSON.parse(exchange.body)).toMatchObject({ type: 'urn:chat-api:problem:request-timeout', status: 408 });
    // Node and Bun then hang up on the slow client; Deno answers but keeps the connection until the client is done
    if (name === 'Deno') hangUpAll();
    else expect(await exchange.closed).toBeGreaterThan(0);
  });

  // Last: it stops the server.
  it('writes one JSON log line per request, and every one of them when stopped with SIGTERM', async (ctx) => {
    if (skipped) return ctx.skip(skipped);
    const ids = Array.from({ length: 20 }, (_, i) => `${name}-log-${i}`);
    await Promise.all(ids.map((id) => fetch(`${base}/health`, { headers: { 'X-Request-Id': id } }).then((r) => r.text())));
    await server!.stop();
    const logged = server!
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{"time":'))
      .map((line) => (JSON.parse(line) as { request_id?: string }).request_id);
    expect(ids.filter((id) => !logged.includes(id))).toEqual([]);
  });
});
