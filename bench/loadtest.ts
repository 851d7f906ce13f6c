// npm run loadtest [-- --smoke] [--requests N] [--connections C]
// Mixed traffic against a local service: good questions, forged tokens and broken bodies at a
// fixed concurrency. Loopback only, bounded in count and time; exits non-zero on any 5xx.
import { serviceTables } from '../src/adapters/db/tables.js';
import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { LONG_STATEMENT_MS } from '../scripts/cli.js';
import { freePort } from '../scripts/free-port.js';
import { runAdminStatement } from '../scripts/pg-admin.js';
import { mintAccessToken } from '../src/services/auth/dev-token.js';
import { migrate } from '../src/adapters/db/migrations.js';
import { createNodePostgresDatabase } from '../src/adapters/db/node-postgres.js';
import { seedDemoData } from '../src/adapters/db/seed.js';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    requests: { type: 'string' },
    connections: { type: 'string', default: '24' },
  },
});
const TOTAL = Number(args.requests ?? (args.smoke ? 600 : 12_000));
const CONNECTIONS = Number(args.connections);
const MAX_SECONDS = 60; // hard stop, whatever the count
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = `chat_load_${process.pid}`;
const SECRET = 'loadtest-secret-0123456789abcdef0123456789';

const admin = (sql: string) => runAdminStatement(ADMIN_URL, sql);

type Kind = { name: string; share: number; expect: '2xx' | '4xx'; requests: autocannon.Request[] };

async function main(): Promise<void> {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  await admin(`CREATE DATABASE ${DB_NAME}`);
  const db = createNodePostgresDatabase({ connectionString: url.toString(), statementTimeoutMs: LONG_STATEMENT_MS });
  await migrate(db);
  await seedDemoData(db);
  await db.close();

  const build = spawnSync('npm', ['run', '--silent', 'build:node'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build:node failed: ${build.stderr}`);
  const port = await freePort();
  const service = spawn(process.execPath, ['dist/node.mjs'], {
    env: { ...process.env, DATABASE_URL: url.toString(), JWT_SECRET_KEY: SECRET, PORT: String(port), OPENAI_API_KEY: '', RATE_LIMIT_USER_PER_MINUTE: '0', RATE_LIMIT_PROJECT_PER_MINUTE: '0', RATE_LIMIT_ADDRESS_PER_MINUTE: '0', RATE_LIMIT_USER_READ_PER_MINUTE: '0' },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 300 && !(await fetch(`${base}/health`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));

    const token = await mintAccessToken({ secret: SECRET, algorithm: 'HS256', userId: '1' });
    const forged = await mintAccessToken({ secret: 'not-the-secret-0123456789abcdef', algorithm: 'HS256', userId: '1' });
    const json = (authorization: string, body: string): autocannon.Request => ({
      method: 'POST',
      path: '/api/v1/chat',
      headers: { authorization, 'content-type': 'application/json' },
      body,
    });
    const good = JSON.stringify({ mensaje: '¿Cuántas órdenes pendientes hay?', usuario_id: '1', proyecto: 'dashboard_miempresa' });
    const kinds: Kind[] = [
      { name: 'good question', share: 0.5, expect: '2xx', requests: [json(`Bearer ${token}`, good)] },
      {
        name: 'bad token',
        share: 0.25,
        expect: '4xx',
        requests: [json(`Bearer ${forged}`, good), json('Bearer x.y.z', good), json(`Basic ${btoa('a:b')}`, good), json('', good)],
      },
      {
        name: 'bad body',
        share: 0.25,
        expect: '4xx',
        requests: [
          json(`Bearer ${token}`, '{"mensaje": '),
          json(`Bearer ${token}`, JSON.stringify({ mensaje: '', usuario_id: '1', proyecto: 'dashboard_miempresa' })),
          json(`Bearer ${token}`, JSON.stringify({ mensaje: 'hola', usuario_id: { id: 1 }, proyecto: '../../etc' })),
          json(`Bearer ${token}`, `[${'['.repeat(2000)}${']'.repeat(2000)}]`),
          { method: 'POST', path: '/api/v1/chat', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: good },
          json(`Bearer ${token}`, JSON.stringify({ mensaje: 'x'.repeat(40_000), usuario_id: '1', proyecto: 'p' })),
        ],
      },
    ];

    const started = performance.now();
    const results = await Promise.all(
      kinds.map((kind) =>
        autocannon({
          url: base,
          connections: Math.max(1, Math.round(CONNECTIONS * kind.share)),
          amount: Math.round(TOTAL * kind.share),
          duration: MAX_SECONDS,
          timeout: 10,
          requests: kind.requests,
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;

    console.log(`Load test: ${TOTAL} requests, concurrency ${CONNECTIONS}, ${seconds.toFixed(1)} s, against ${base}\n`);
    console.log(`${'traffic'.padEnd(16)} ${'sent'.padStart(7)} ${'2xx'.padStart(7)} ${'4xx'.padStart(7)} ${'5xx'.padStart(5)} ${'errors'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)}`);
    let failures = 0;
    results.forEach((result, i) => {
      const kind = kinds[i]!;
      const wrongClass = kind.expect === '2xx' ? result['4xx'] : result['2xx'];
      failures += result['5xx'] + result.errors + result.timeouts + wrongClass;
      console.log(
        `${kind.name.padEnd(16)} ${String(result.requests.sent).padStart(7)} ${String(result['2xx']).padStart(7)} ${String(result['4xx']).padStart(7)} ` +
          `${String(result['5xx']).padStart(5)} ${String(result.errors + result.timeouts).padStart(7)} ${String(result.latency.p50).padStart(7)} ${String(result.latency.p99).padStart(7)}`,
      );
    });
    // Every answered question left its question and its answer in the conversation tables.
    const answered = results[0]!['2xx'];
    const stored = createNodePostgresDatabase({ connectionString: url.toString() });
    const [turns] = await stored.query<{ questions: number; answers: number }>(
      `SELECT count(*) FILTER (WHERE role = 'user')::int AS questions,
              count(*) FILTER (WHERE role = 'assistant' AND error IS NULL)::int AS answers FROM ${serviceTables().messages}`,
    );
    await stored.close();
    const lost = Math.abs(answered - turns!.questions) + Math.abs(answered - turns!.answers);
    console.log(`conversation messages: ${turns!.questions} questions and ${turns!.answers} answers stored for ${answered} answered requests (${lost} lost)`);
    failures += lost;
    console.log(failures === 0 ? '\nOK: no 5xx, no errors, every request in its expected class, no lost message' : `\nFAILED: ${failures} requests outside their expected class or lost messages`);
    process.exitCode = failures === 0 ? 0 : 1;
  } finally {
    service.kill('SIGINT');
    await new Promise((r) => service.once('exit', r));
    await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  }
}

await main();
