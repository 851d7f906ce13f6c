import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runProcess, startProcess, type Started } from './support/processes.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { slowRequest } from './support/raw-http.js';
import { accessToken, TEST_SECRET } from './support/tokens.js';

const READY = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const STACK = /\n\s+at |ZodError|\[\s*\{\s*"/;

/**
 * Issue 14: start-up and operator mistakes say what to do in one line, exit non-zero, and never
 * print a stack or a ZodError; run as the operator runs them (npm start, npm run dev, db:migrate).
 */
describe('start-up mistakes', () => {
  let database: TestDatabase;
  let busy: Server;
  let busyPort: number;
  const running: Started[] = [];
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    busy = createServer();
    busyPort = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)));
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await new Promise((resolve) => busy?.close(resolve));
    await database?.drop();
  });

  const start = (settings: Record<string, string>, args = ['start']) => runProcess('npm', args, cleanEnv(settings));
  const fails = async (result: { code: number | null; output: string }, message: RegExp | string) => {
    expect(result.code, result.output).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.output).toMatch(message);
    expect(result.output).not.toMatch(STACK);
  };
  const serverUrl = () => database.url!;
  const withDatabase = (extra: Record<string, string> = {}) => ({ DATABASE_URL: serverUrl(), JWT_SECRET_KEY: TEST_SECRET, ...extra });

  it('PORT=abc, and every other bad setting in the same message', async () => {
    await fails(await start(withDatabase({ PORT: 'abc' })), 'Cannot start: Invalid settings:\n  PORT: must be a whole number from 0 to 65535 (0 picks a free port)');
    await fails(
      await start(withDatabase({ PORT: 'abc', RATE_LIMIT_USER_PER_MINUTE: 'lots', JWT_LEWAY: '5' })),
      'Cannot start: Invalid settings:\n  JWT_LEWAY: is not a setting; did you mean JWT_LEEWAY?\n  PORT: must be a whole number from 0 to 65535 (0 picks a free port)\n  RATE_LIMIT_USER_PER_MINUTE: must be a whole number from 0 to 1000000000',
    );
    await fails(await start(withDatabase({ PORT: 'abc' }), ['run', 'dev']), 'Invalid settings:\n  PORT: must be a whole number from 1 to 65535');
  });

  it('a port already in use names the PORT setting, for npm start and npm run dev', async () => {
    expect((await runProcess('npm', ['run', 'db:migrate'], cleanEnv(withDatabase()))).code).toBe(0);
    await fails(
      await start(withDatabase({ PORT: String(busyPort) })),
      `Cannot start: port ${busyPort} on 127.0.0.1 is already in use: stop the program using it, or set PORT to a free port (PORT=0 picks one)`,
    );
    await fails(await start(withDatabase({ PORT: String(busyPort) }), ['run', 'dev']), `port ${busyPort} on 127.0.0.1 is already in use: stop the program using it, or set PORT to a free port`);
  });

  it('a DATABASE_URL with the wrong scheme, or not a URL, without repeating it', async () => {
    const wrongScheme = await start({ DATABASE_URL: 'mysql://app:s3cret-pw@db.example:3306/chat', JWT_SECRET_KEY: TEST_SECRET, PORT: '0' });
    await fails(wrongScheme, 'DATABASE_URL: must start with postgres:// or postgresql://, not mysql://; write it as postgres://user:password@host:5432/database');
    expect(wrongScheme.output).not.toContain('s3cret-pw');
    await fails(await start({ DATABASE_URL: 'localhost/db', JWT_SECRET_KEY: TEST_SECRET, PORT: '0' }), 'DATABASE_URL: is not a URL; write it as postgres://user:password@host:5432/database');
  });

  it('a database or a role that does not exist (npm start and npm run db:migrate)', async () => {
    const missingDb = new URL(serverUrl());
    missingDb.pathname = '/chat_no_such_database';
    const expected = `DATABASE_URL: database "chat_no_such_database" does not exist on ${missingDb.hostname}:${missingDb.port || 5432}: create it (createdb`;
    await fails(await start({ DATABASE_URL: missingDb.toString(), JWT_SECRET_KEY: TEST_SECRET, PORT: '0' }), `Cannot start: ${expected}`);
    await fails(await runProcess('npm', ['run', 'db:migrate'], cleanEnv({ DATABASE_URL: missingDb.toString() })), expected);

    const missingRole = new URL(serverUrl());
    missingRole.username = 'chat_no_such_role';
    await fails(
      await start({ DATABASE_URL: missingRole.toString(), JWT_SECRET_KEY: TEST_SECRET, PORT: '0' }),
      /Cannot start: DATABASE_URL: PostgreSQL refused the connection to [^ ]+ \(.*"chat_no_such_role".*\): /,
    );
  });

  it('a misspelled setting: "did you mean"', async () => {
    await fails(
      await start({ DATABASE_URL: serverUrl(), JWT_SECRET: TEST_SECRET, PORT: '0' }),
      'Cannot start: Invalid settings:\n  JWT_SECRET: is not a setting; did you mean JWT_SECRET_KEY?',
    );
    await fails(await start({ DATABSE_URL: serverUrl(), PORT: '0' }), 'DATABSE_URL: is not a setting; did you mean DATABASE_URL?');
  });

  it('the real server (npm start): a flood of bad tokens gets 429 per address, a slow body 408, and the log says why a token was refused', async () => {
    expect((await runProcess('npm', ['run', 'db:migrate'], cleanEnv(withDatabase()))).code).toBe(0);
    const server = await startProcess('npm', ['start'], {
      env: cleanEnv(withDatabase({ PORT: '0', RATE_LIMIT_ADDRESS_PER_MINUTE: '2', REQUEST_BODY_TIMEOUT_MS: '300' })),
      ready: READY,
    });
    running.push(server);
    const port = Number(READY.exec(server.output())![1]);
    const expired = accessToken(1, { exp: Math.floor(Date.now() / 1000) - 60 });
    const get = (token: string) => fetch(`http://127.0.0.1:${port}/api/v1/proyectos`, { headers: { Authorization: `Bearer ${token}` } });

    const first = await get(expired);
    expect(first.status).toBe(401);
    expect(((await first.json()) as { detail: string }).detail).toBe('token expired');
    expect((await get('x.y.z')).status).toBe(401);
    const refused = await get(expired);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('RateLimit')).toMatch(/^"address";r=0;t=\d+$/);

    const body = JSON.stringify({ mensaje: 'hola', usuario_id: '1', proyecto: 'dashboard_miempresa' });
    const head = ['POST /api/v1/chat HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', `Authorization: Bearer ${accessToken(1)}`, `Content-Length: ${body.length}`].join('\r\n');
    const slow = await slowRequest(port, head, body, { first: 3, stall: true });
    expect(slow.status).toBe(408);
    expect(JSON.parse(slow.body)).toMatchObject({ type: 'urn:chat-api:problem:request-timeout', status: 408 });

    await expect.poll(() => server.output(), { timeout: 10_000 }).toMatch(/"status":408/);
    const lines = server.output().split('\n').filter((line) => line.includes('"msg":"request"'));
    expect(lines.find((line) => line.includes('"status":401'))).toMatch(/"auth_error":"expired"/);
    expect(lines.some((line) => line.includes('"auth_error":"malformed header or signature"'))).toBe(true);
    expect(server.output()).not.toContain(expired.split('.')[2]!);
  });
});
