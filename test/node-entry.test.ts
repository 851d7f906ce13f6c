import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, runProcess, startProcess, type Started } from './support/processes.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { accessToken, TEST_SECRET } from './support/tokens.js';
import { waitFor } from './support/wait.js';

const READY = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

/** The README's set-up, run as a newcomer runs it: real processes, real ports. */
describe('npm start and the database scripts', () => {
  const running: Started[] = [];
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await Promise.all(databases.map((d) => d.drop()));
  });

  it('starts on the embedded PostgreSQL, prints a development token and a curl command that works', async () => {
    const server = await startProcess('npm', ['start'], { env: cleanEnv({ PORT: '0' }), ready: /curl -s .*\n/ });
    running.push(server);
    const output = server.output();
    const base = READY.exec(output)![1]!;
    const token = /Development token[^\n]*\n(\S+)/.exec(output)?.[1];
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    const curl = /^(curl -s .*)$/m.exec(output)![1]!;
    const { code, output: answer } = await runProcess('sh', ['-c', curl], cleanEnv());
    expect(code).toBe(0);
    const body = JSON.parse(answer) as { fuente: string; datos: { count: number }; respuesta: string; proyecto: string };
    expect(body.fuente).toBe('database');
    expect(body.proyecto).toBe('dashboard_miempresa');
    expect(body.datos.count).toBeGreaterThan(0);
    expect(body.respuesta).toBe(`Hay ${body.datos.count} órdenes pendientes.`);

    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);
    const openapi = await fetch(`${base}/api/v1/openapi.json`);
    expect(((await openapi.json()) as { servers: { url: string }[] }).servers[0]?.url).toBe(base);
    // the log is one JSON line per request; it comes through the child's stdout pipe, which
    // may deliver it after the client has its answer
    const requestLog = /^\{"time":"[^"]+","level":"info","msg":"request".*"status":200/m;
    await waitFor(() => requestLog.test(server.output()), { what: 'the request log line' });
    expect(server.output()).toMatch(requestLog);
  });

  it('uses DATABASE_URL after db:migrate and db:seed, and refuses to start on an unmigrated database', async () => {
    const test = await createTestDatabase('postgres');
    databases.push(test);
    const env = cleanEnv({ DATABASE_URL: test.url!, JWT_SECRET_KEY: TEST_SECRET, PORT: '0' });

    const unmigrated = await runProcess('npm', ['start'], env);
    expect(unmigrated.code).not.toBe(0);
    expect(unmigrated.output).toMatch(/npm run db:migrate/);
    expect(unmigrated.output).not.toMatch(/\n\s+at /);

    const migrated = await runProcess('npm', ['run', 'db:migrate'], env);
    expect(migrated.output).toMatch(/Applied: 0001_projects_and_orders/);
    expect((await runProcess('npm', ['run', 'db:migrate'], env)).output).toMatch(/Already up to date/);
    expect((await runProcess('npm', ['run', 'db:seed'], env)).output).toMatch(/Seeded 5 demo projects/);

    const server = await startProcess('npm', ['start'], { env, ready: READY });
    running.push(server);
    expect(server.output()).not.toMatch(/Development token/);
    const base = READY.exec(server.output())![1]!;
    const response = await fetch(`${base}/api/v1/chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken(1)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ mensaje: '¿Cuántas órdenes pendientes hay?', usuario_id: 1, proyecto: 'dashboard_miempresa' }),
    });
    expect(response.status).toBe(200);
    const [row] = await test.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE project = 'dashboard_miempresa' AND status = 'pending'",
    );
    expect(((await response.json()) as { datos: { count: number } }).datos.count).toBe(row!.n);
  });

  it('refuses to start with DATABASE_URL but no JWT_SECRET_KEY, with a clear message', async () => {
    const result = await runProcess('npm', ['start'], cleanEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres', PORT: '0' }));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/JWT_SECRET_KEY: is required to verify HS256 tokens/);
  });

  it('refuses to start with an asymmetric ALGORITHM but no public key, naming the settings', async () => {
    const result = await runProcess('npm', ['start'], cleanEnv({ ALGORITHM: 'RS256', PORT: '0' }));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/JWT_PUBLIC_KEY|JWT_JWKS_URL/);
    expect(result.output).not.toMatch(/Development token/);
  });

  it('mints a development token with npm run token', async () => {
    const result = await runProcess('npm', ['run', '--silent', 'token', '--', '7', '60'], cleanEnv({ JWT_SECRET_KEY: TEST_SECRET }));
    expect(result.code).toBe(0);
    const payload = JSON.parse(Buffer.from(result.output.trim().split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ token_type: 'access', user_id: 7 });
    expect((payload.exp as number) - (payload.iat as number)).toBe(60);
  });
});
