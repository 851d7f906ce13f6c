// npm run bench [-- --smoke] [--duration S] [--pool N] [--profile]
// The database path under load, against the raw PostgreSQL limit on the same machine.
// Loopback only, bounded in time; prints figures and ratios, asserts nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus as cpus_, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { LONG_STATEMENT_MS } from '../scripts/cli.js';
import { freePort } from '../scripts/free-port.js';
import { runAdminStatement } from '../scripts/pg-admin.js';
import { mintAccessToken } from '../src/services/auth/dev-token.js';
import { DEMO_MODEL } from '../src/adapters/db/demo-model.generated.js';
import { runSemanticQuery } from '../src/services/semantic-model/run.js';
import type { Database, Row } from '../src/adapters/db/database.js';
import { migrate } from '../src/adapters/db/migrations.js';
import { createNodePostgresDatabase } from '../src/adapters/db/node-postgres.js';
import { seedDemoData } from '../src/adapters/db/seed.js';
import { measureHotPath } from './hot-path.js';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string' },
    pool: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    profile: { type: 'boolean', default: false },
  },
});
const SMOKE = args.smoke;
// Smoke mode only proves the bench runs end to end and prints every figure: 1 s runs are enough.
const DURATION_S = Number(args.duration ?? (SMOKE ? 1 : 10));
const POOL = Number(args.pool);
const CONNECTIONS = Number(args.connections);
const ORDERS = SMOKE ? 12_000 : 100_000;
const PROJECTS = ['dashboard_miempresa', 'tienda_norte', 'logistica_sur'];
const STATUSES = ['pending', 'shipped', 'delivered', 'cancelled'];
const QUESTION = '¿Cuántas órdenes pendientes hay?';
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = `chat_bench_${process.pid}`; // per run: concurrent benches never share a database
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const TARGETS = { ratio: 0.8, p99Ms: 45, hotPathMs: 0.2, rssMiB: 150, bundleKiB: 300 };

const work = mkdtempSync(join(tmpdir(), 'chat-bench-'));
const databaseUrl = (() => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
})();

const admin = (sql: string) => runAdminStatement(ADMIN_URL, sql);

/** 1. A fresh database: schema, projects, ORDERS orders spread evenly over 3 projects × 4 statuses. */
async function createBenchDatabase(): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB_NAME}`);
  const db = createNodePostgresDatabase({ connectionString: databaseUrl, statementTimeoutMs: LONG_STATEMENT_MS });
  try {
    await migrate(db);
    await seedDemoData(db); // the project registry
    await db.exec(`TRUNCATE orders;
INSERT INTO orders (project, status, amount, customer, created_at)
SELECT (ARRAY[${PROJECTS.map((p) => `'${p}'`).join(',')}])[1 + i % 3],
       (ARRAY[${STATUSES.map((s) => `'${s}'`).join(',')}])[1 + (i / 3) % 4],
       10 + (i % 9000) / 10.0, 'Cliente ' || (i % 50), now() - make_interval(mins => i % 259200)
FROM generate_series(0, ${ORDERS - 1}) AS i;`);
    await db.exec('VACUUM ANALYZE orders'); // its own statement: VACUUM refuses multi-statement scripts
  } finally {
    await db.close();
  }
}

/** The exact SQL the service runs for QUESTION, captured from the demo model's query itself. */
async function capturedQuery(): Promise<{ sql: string; params: unknown[] }> {
  let captured: { sql: string; params: unknown[] } | undefined;
  const recorder: Database = {
    async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
      captured = { sql, params: [...params] };
      return [{ count: 0 }] as unknown as T[];
    },
    exec: async () => {},
    close: async () => {},
  };
  await runSemanticQuery(
    recorder,
    DEMO_MODEL,
    { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', equals: 'pending' }] },
    { tenant: PROJECTS[0]!, now: new Date(), timeZone: 'UTC' },
    'es',
  );
  return captured!;
}

type Figures = { rps: number; p50: number; p99: number; errors: number };

/** 3. The raw limit: pgbench running the same statement with as many connections as the service's pool. */
function rawLimit(query: { sql: string; params: unknown[] }): Figures {
  const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);
  const sql = query.sql.replace(/\$(\d+)/g, (_m, n: string) => literal(query.params[Number(n) - 1]));
  const script = join(work, 'query.sql');
  writeFileSync(script, `${sql};\n`);
  const result = spawnSync(
    'pgbench',
    ['-n', '-M', 'prepared', '-c', String(POOL), '-j', '2', '-T', String(DURATION_S), '-f', script, '-l', `--log-prefix=${join(work, 'pgbench')}`, databaseUrl],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`pgbench failed: ${result.stderr}`);
  const tps = Number(/tps = ([\d.]+)/.exec(result.stdout)?.[1]);
  // Per-transaction log lines: client_id transaction_no latency_us script_no epoch epoch_us
  const latencies = readdirSync(work)
    .filter((f) => f.startsWith('pgbench'))
    .flatMap((f) => readFileSync(join(work, f), 'utf8').trim().split('\n').map((line) => Number(line.split(' ')[2]) / 1000))
    .sort((a, b) => a - b);
  return { rps: tps, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors: 0 };
}

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** 2. The service (Node entry) against the bench database; returns it with its start-to-first-200 time. */
async function startService(token: string, extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; base: string; firstOkMs: number }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The production shape: the bundled Node entry (npm run build:node), not the tsx dev loader.
  const nodeArgs = [...serveFlags(), ...(args.profile ? ['--cpu-prof', `--cpu-prof-dir=${join('bench', 'profiles')}`] : []), 'dist/node.mjs'];
  const started = performance.now();
  const child = spawn(process.execPath, nodeArgs, {
    env: { ...process.env, DATABASE_URL: databaseUrl, JWT_SECRET_KEY: SECRET, PORT: String(port), DATABASE_POOL_MAX: String(POOL), OPENAI_API_KEY: '', RATE_LIMIT_USER_PER_MINUTE: '0', RATE_LIMIT_PROJECT_PER_MINUTE: '0', ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = started + 30_000;
  while (performance.now() < deadline) {
    try {
      const response = await fetch(`${base}/api/v1/chat`, chatRequest(token));
      if (response.status === 200) return { child, base, firstOkMs: performance.now() - started };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill();
  throw new Error('the service did not answer 200 within 30 s');
}

/** The Node flags of `npm run serve` (heap sizing), so the bench measures what production runs. */
function serveFlags(): string[] {
  const serve = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.serve ?? '';
  return serve.split(/\s+/).filter((word) => word.startsWith('--'));
}

function chatRequest(token: string) {
  return {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ mensaje: QUESTION, usuario_id: '1', proyecto: PROJECTS[0] }),
  };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** CPU time (user + system) a process has used so far, in ms; Linux reports clock ticks of 10 ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** 2. Load at fixed concurrency with autocannon, sampling the service's RSS and CPU. */
async function load(base: string, token: string, pid: number, seconds: number) {
  let maxRss = rssMiB(pid);
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMiB(pid))), 200);
  const serviceCpuBefore = cpuMs(pid);
  const benchCpuBefore = process.cpuUsage();
  const request = chatRequest(token);
  const result = await autocannon({
    url: `${base}/api/v1/chat`,
    method: 'POST',
    headers: request.headers,
    body: request.body,
    connections: CONNECTIONS,
    duration: seconds,
  });
  clearInterval(sampler);
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const total = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    rssMiB: maxRss,
    serviceCpuMsPerRequest: (cpuMs(pid) - serviceCpuBefore) / total,
    loadCpuMsPerRequest: (benchCpu.user + benchCpu.system) / 1000 / total,
  };
}

/** Warms the service up, loads it for the run's duration, then stops it. */
async function measureService(service: Awaited<ReturnType<typeof startService>>, token: string) {
  try {
    await load(service.base, token, service.child.pid!, SMOKE ? 0.25 : 2); // warm-up
    return await load(service.base, token, service.child.pid!, DURATION_S);
  } finally {
    service.child.kill('SIGINT');
    await new Promise((r) => service.child.once('exit', r));
  }
}

function bundleKiB(): number {
  const outdir = join(work, 'worker');
  const result = spawnSync(join('node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', outdir], { encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
  if (result.status !== 0) throw new Error(`wrangler failed: ${result.stderr}`);
  return gzipSync(readFileSync(join(outdir, 'worker.js'))).length / 1024;
}

const verdict = (ok: boolean, miss: string) => (ok ? 'meets target' : `MISSES target by ${miss}`);

async function main(): Promise<void> {
  const build = spawnSync('npm', ['run', '--silent', 'build:node'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build:node failed: ${build.stderr}`);
  const cpus = cpus_();
  console.log(`Benchmark${SMOKE ? ' (smoke)' : ''}: ${ORDERS.toLocaleString('en')} orders, concurrency ${CONNECTIONS}, pool ${POOL}, ${DURATION_S} s per run, ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, Node ${process.version}\n`);
  await createBenchDatabase();
  const query = await capturedQuery();
  console.log(`SQL: ${query.sql.replace(/\s+/g, ' ')}  params: ${JSON.stringify(query.params)}`);

  const token = await mintAccessToken({ secret: SECRET, algorithm: 'HS256', userId: '1', lifetimeSeconds: 3600 });
  const service = await startService(token);
  const serviceFigures = await measureService(service, token);
  // The optional result cache (off by default): the same question within 1 s is answered from memory.
  const cachedFigures = await measureService(await startService(token, { RESULT_CACHE_TTL_MS: '1000' }), token);
  const raw = rawLimit(query);
  const hot = await measureHotPath(SMOKE ? 0.1 : 1);
  const bundle = bundleKiB();
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);

  const ratio = serviceFigures.rps / raw.rps;
  const row = (name: string, f: Figures) =>
    `${name.padEnd(28)} ${f.rps.toFixed(0).padStart(8)} ${f.p50.toFixed(2).padStart(8)} ${f.p99.toFixed(2).padStart(8)}`;
  console.log(`\n${'run'.padEnd(28)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
  console.log(row(`service (HTTP, c=${CONNECTIONS})`, serviceFigures));
  console.log(row(`raw limit (pgbench, c=${POOL})`, raw));
  console.log(row('service, result cache 1 s', cachedFigures));
  console.log(`service errors: ${serviceFigures.errors + cachedFigures.errors}, non-2xx: ${serviceFigures.non2xx + cachedFigures.non2xx}`);
  console.log('');
  console.log(`service / raw limit          ${(ratio * 100).toFixed(1)} %   ${verdict(ratio >= TARGETS.ratio, `${((TARGETS.ratio - ratio) * 100).toFixed(1)} points`)} (≥ ${TARGETS.ratio * 100} %)`);
  console.log(`service p99                  ${serviceFigures.p99.toFixed(1)} ms   ${verdict(serviceFigures.p99 <= TARGETS.p99Ms, `${(serviceFigures.p99 - TARGETS.p99Ms).toFixed(1)} ms`)} (≤ ${TARGETS.p99Ms} ms)`);
  console.log(`token + matching CPU         ${(hot.totalUs / 1000).toFixed(3)} ms (token ${hot.tokenUs.toFixed(1)} µs, matching ${hot.matchUs.toFixed(1)} µs)   ${verdict(hot.totalUs / 1000 <= TARGETS.hotPathMs, `${(hot.totalUs / 1000 - TARGETS.hotPathMs).toFixed(3)} ms`)} (≤ ${TARGETS.hotPathMs} ms)`);
  console.log(`service RSS under load       ${serviceFigures.rssMiB.toFixed(1)} MiB   ${verdict(serviceFigures.rssMiB <= TARGETS.rssMiB, `${(serviceFigures.rssMiB - TARGETS.rssMiB).toFixed(1)} MiB`)} (≤ ${TARGETS.rssMiB} MiB)`);
  console.log(`process start → first 200    ${service.firstOkMs.toFixed(0)} ms`);
  // Why the ratio target is out of reach here: where each request's CPU goes, on shared cores.
  const cores = cpus.length;
  const pgMsPerQuery = (cores * 1000) / raw.rps; // pgbench keeps every core busy with PostgreSQL alone
  const perRequest = serviceFigures.serviceCpuMsPerRequest + serviceFigures.loadCpuMsPerRequest + pgMsPerQuery;
  console.log(
    `CPU per request              service ${serviceFigures.serviceCpuMsPerRequest.toFixed(3)} ms + load generator ${serviceFigures.loadCpuMsPerRequest.toFixed(3)} ms ` +
      `+ PostgreSQL ≈ ${pgMsPerQuery.toFixed(3)} ms = ${perRequest.toFixed(3)} ms → ${((perRequest * serviceFigures.rps) / 1000).toFixed(2)} of ${cores} cores busy at ${serviceFigures.rps.toFixed(0)} req/s`,
  );
  console.log(
    `                             (cached path: service ${cachedFigures.serviceCpuMsPerRequest.toFixed(3)} ms/request; the service's event loop is one thread)`,
  );
  console.log(`Worker bundle                ${bundle.toFixed(1)} KiB gzip   ${verdict(bundle <= TARGETS.bundleKiB, `${(bundle - TARGETS.bundleKiB).toFixed(1)} KiB`)} (≤ ${TARGETS.bundleKiB} KiB)`);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
