// npm run bench [-- --smoke] [--duration S] [--pool N] [--connections C] [--profile]
// The database path under load, against the raw PostgreSQL limit on the same machine: the seed
// question and a mixed workload on Node, the seed question on Bun and as a Worker (wrangler dev,
// both database variants), and where the service's CPU goes per request (from a CPU profile).
// Loopback only, bounded in time; prints figures and ratios, asserts nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus as cpus_, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import pg from 'pg';
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
import { CONVERSATION_START, FOLLOW_UP_SHARE, mixedSequence, pgbenchScripts, type MixedRequest } from './mixed.js';
import { CATEGORIES, summariseProfile } from './profile.js';
import { startMiniflareWorker, startWorker, type RunningWorker, type WorkerVariant } from './worker.js';

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
const USERS = ['1', '2', '3', '4', '5']; // every demo project with orders is open to all users
const STATUSES = ['pending', 'shipped', 'delivered', 'cancelled'];
const QUESTION = '¿Cuántas órdenes pendientes hay?';
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = `chat_bench_${process.pid}`; // per run: concurrent benches never share a database
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const TARGETS = { ratio: 0.8, mixedRatio: 0.5, p99Ms: 45, cpuMs: 0.25, hotPathMs: 0.2, rssMiB: 150, bundleKiB: 300, workerShare: 0.5, workerP50Factor: 2 };
const UNLIMITED = { RATE_LIMIT_USER_PER_MINUTE: '0', RATE_LIMIT_PROJECT_PER_MINUTE: '0', RATE_LIMIT_ADDRESS_PER_MINUTE: '0', RATE_LIMIT_USER_READ_PER_MINUTE: '0' };
const PROFILES_DIR = join('bench', 'profiles');

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

type Figures = { rps: number; p50: number; p99: number };

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * 3. The raw limit: pgbench running the given scripts (-f file[@weight]) with as many connections
 * as the service's pool; with `connectPerTransaction`, a new connection (a new PostgreSQL
 * backend) for every transaction, as a Worker without a pooler has.
 */
function pgbench(scriptArgs: string[], { connectPerTransaction = false, seconds = DURATION_S } = {}): Figures {
  const prefix = join(work, `pgbench-${Math.random().toString(36).slice(2)}`);
  const result = spawnSync(
    'pgbench',
    ['-n', '-M', connectPerTransaction ? 'simple' : 'prepared', ...(connectPerTransaction ? ['-C'] : []), '-c', String(POOL), '-j', '2', '-T', String(seconds), ...scriptArgs, '-l', `--log-prefix=${prefix}`, databaseUrl],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`pgbench failed: ${result.stderr}`);
  const tps = Number(/tps = ([\d.]+)/.exec(result.stdout)?.[1]);
  // Per-transaction log lines: client_id transaction_no latency_us script_no epoch epoch_us
  const latencies = readdirSync(work)
    .filter((f) => join(work, f).startsWith(prefix))
    .flatMap((f) => readFileSync(join(work, f), 'utf8').trim().split('\n').map((line) => Number(line.split(' ')[2]) / 1000))
    .sort((a, b) => a - b);
  return { rps: tps, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

function seedScript(query: { sql: string; params: unknown[] }): string[] {
  const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);
  const sql = query.sql.replace(/\$(\d+)/g, (_m, n: string) => literal(query.params[Number(n) - 1]));
  const script = join(work, 'query.sql');
  writeFileSync(script, `${sql};\n`);
  return ['-f', script];
}

type Service = { child: ChildProcess; base: string; firstOkMs: number; stop(): Promise<void> };

/**
 * 2. The service against the bench database: the bundled Node entry (npm run serve, the
 * production shape) or the Bun entry (npm run start:bun); returns it with its start-to-first-200 time.
 */
async function startService(token: string, { runtime = 'node', extraEnv = {}, profileDir }: { runtime?: 'node' | 'bun'; extraEnv?: Record<string, string>; profileDir?: string } = {}): Promise<Service> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const [command, commandArgs] =
    runtime === 'bun'
      ? [join('node_modules', '.bin', 'bun'), [join('src', 'entry', 'bun.ts')]]
      : [process.execPath, [...serveFlags(), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), 'dist/node.mjs']];
  const started = performance.now();
  const child = spawn(command, commandArgs, {
    env: { ...process.env, DATABASE_URL: databaseUrl, JWT_SECRET_KEY: SECRET, PORT: String(port), DATABASE_POOL_MAX: String(POOL), OPENAI_API_KEY: '', ...UNLIMITED, ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  };
  const deadline = started + 30_000;
  while (performance.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(`${base}/api/v1/chat`, chatRequest(token));
      if (response.status === 200) return { child, base, firstOkMs: performance.now() - started, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await stop();
  throw new Error(`the ${runtime} service did not answer 200 within 30 s`);
}

/** The Node flags of `npm run serve` (heap sizing), so the bench measures what production runs. */
function serveFlags(): string[] {
  const serve = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.serve ?? '';
  return serve.split(/\s+/).filter((word) => word.startsWith('--'));
}

function chatBody(question: string, userId: string, project: string, conversationId?: string): string {
  return JSON.stringify({ mensaje: question, usuario_id: userId, proyecto: project, ...(conversationId ? { conversacion_id: conversationId } : {}) });
}

function chatRequest(token: string) {
  return {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: chatBody(QUESTION, '1', PROJECTS[0]!),
  };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** /proc/<pid>/stat's fields after the command name (field 3 onwards). */
const statFields = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');

/** CPU time (user + system) a process has used so far, in ms; Linux reports clock ticks of 10 ms. */
function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * All of PostgreSQL's CPU so far, in ms: the postmaster, its live backends, and the backends that
 * have exited (the postmaster's reaped children). Server-wide: other clients of this server count too.
 */
function postgresCpuMs(postmaster: number): number {
  const fields = statFields(postmaster);
  let total = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(Number(entry))[1]) === postmaster) total += cpuMs(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

async function postmasterPid(): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return Number(statFields(rows[0]!.pid)[1]); // the backend's parent
  } finally {
    await client.end();
  }
}

type LoadFigures = Figures & {
  requests: number;
  errors: number;
  non2xx: number;
  /** The non-2xx answers by status ("429: 12, 504: 3"), for the row that has some. */
  statuses: string;
  rssMiB: number;
  serviceCpuMsPerRequest: number;
  loadCpuMsPerRequest: number;
  postgresCpuMsPerRequest: number;
  /** process.hrtime µs (CLOCK_MONOTONIC, as V8's profile timestamps) of the measured window. */
  windowUs: [number, number];
};

type Target = { cpu: () => number; rss?: () => number };
type Requests = { body: string; token: string } | (() => { body: string; token: string });

let POSTMASTER = 0;

/** 2. Load at fixed concurrency with autocannon, sampling the service's RSS and CPU. */
async function load(base: string, requests: Requests, target: Target, seconds: number, connections = CONNECTIONS): Promise<LoadFigures> {
  let maxRss = target.rss?.() ?? NaN;
  const sampler = setInterval(() => target.rss && (maxRss = Math.max(maxRss, target.rss())), 200);
  const serviceCpuBefore = target.cpu();
  const postgresBefore = postgresCpuMs(POSTMASTER);
  const benchCpuBefore = process.cpuUsage();
  const headers = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });
  const fixed = typeof requests === 'function' ? undefined : requests;
  const from = Number(process.hrtime.bigint() / 1000n);
  const result = await autocannon({
    url: `${base}/api/v1/chat`,
    method: 'POST',
    connections,
    duration: seconds,
    ...(fixed
      ? { headers: headers(fixed.token), body: fixed.body }
      : {
          requests: [
            {
              method: 'POST',
              setupRequest: (request) => {
                const next = (requests as () => { body: string; token: string })();
                return { ...request, headers: headers(next.token), body: next.body };
              },
            },
          ],
        }),
  });
  const to = Number(process.hrtime.bigint() / 1000n);
  clearInterval(sampler);
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const total = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    statuses: Object.entries(result.statusCodeStats ?? {})
      .filter(([status]) => !status.startsWith('2'))
      .map(([status, stats]) => `${status}: ${(stats as { count: number }).count}`)
      .join(', '),
    rssMiB: maxRss,
    serviceCpuMsPerRequest: (target.cpu() - serviceCpuBefore) / total,
    loadCpuMsPerRequest: (benchCpu.user + benchCpu.system) / 1000 / total,
    postgresCpuMsPerRequest: (postgresCpuMs(POSTMASTER) - postgresBefore) / total,
    windowUs: [from, to],
  };
}

const processTarget = (pid: number): Target => ({ cpu: () => cpuMs(pid), rss: () => rssMiB(pid) });

/** Warms the service up, loads it for the run's duration, then stops it. */
async function measureService(service: Service, requests: Requests, seconds = DURATION_S) {
  try {
    await load(service.base, requests, processTarget(service.child.pid!), SMOKE ? 0.25 : 2); // warm-up
    return await load(service.base, requests, processTarget(service.child.pid!), seconds);
  } finally {
    await service.stop();
  }
}

/** /health at fixed concurrency: the runtime's HTTP path alone (no auth, no database). */
async function healthRps(base: string, connections: number): Promise<Figures> {
  const result = await autocannon({ url: `${base}/health`, connections, duration: SMOKE ? 1 : Math.max(2, DURATION_S / 2) });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/**
 * The mixed workload against a fresh Node service: each (user, project) first opens a
 * conversation, whose id the follow-ups then send.
 */
async function measureMixed(tokens: Map<string, string>, sequence: MixedRequest[]) {
  const service = await startService(tokens.get('1')!);
  const conversations = new Map<string, string>();
  for (const userId of USERS) {
    for (const project of PROJECTS) {
      const response = await fetch(`${service.base}/api/v1/chat`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${tokens.get(userId)}`, 'Content-Type': 'application/json' },
        body: chatBody(CONVERSATION_START, userId, project),
      });
      if (response.status !== 200) throw new Error(`opening a conversation: ${response.status} ${await response.text()}`);
      conversations.set(`${userId}/${project}`, ((await response.json()) as { conversacion_id: string }).conversacion_id);
    }
  }
  let i = 0;
  const next = () => {
    const request = sequence[i++ % sequence.length]!;
    const conversation = request.followUp ? conversations.get(`${request.userId}/${request.project}`) : undefined;
    return { token: tokens.get(request.userId)!, body: chatBody(request.question, request.userId, request.project, conversation) };
  };
  return measureService(service, next);
}

/**
 * The Worker in wrangler dev (as npm run dev runs it), or its bundle in workerd through Miniflare
 * without wrangler dev's proxy: the seed question and /health, with every local process's CPU per request.
 */
async function measureWorker(variant: WorkerVariant, how: 'wrangler dev' | 'Miniflare' | 'Miniflare, WebSocket only', token: string) {
  const vars = { JWT_SECRET_KEY: SECRET, OPENAI_API_KEY: '', ...UNLIMITED };
  const worker: RunningWorker =
    how === 'wrangler dev'
      ? await startWorker(variant, databaseUrl, vars)
      : await startMiniflareWorker(variant, databaseUrl, vars, join(work, `miniflare-${variant}`), { webSocketOnly: how !== 'Miniflare' });
  try {
    const request = { token, body: chatBody(QUESTION, '1', PROJECTS[0]!) };
    const totalCpu = () => Object.values(worker.cpuByRole()).reduce((a, b) => a + b, 0);
    await load(worker.base, request, { cpu: totalCpu }, SMOKE ? 0.25 : 2); // warm-up
    const before = worker.cpuByRole();
    const figures = await load(worker.base, request, { cpu: totalCpu }, DURATION_S);
    const after = worker.cpuByRole();
    const byRole = Object.fromEntries(Object.keys(after).map((role) => [role, (after[role]! - (before[role] ?? 0)) / Math.max(1, figures.requests)]));
    const health = await healthRps(worker.base, CONNECTIONS);
    return { figures, byRole, health };
  } finally {
    await worker.stop();
  }
}

/** A CPU-profiled run of the seed question; the profile's busy time in the load window, by category, per request. */
async function measureProfile(token: string) {
  const dir = args.profile ? PROFILES_DIR : join(work, 'profile');
  mkdirSync(dir, { recursive: true });
  const before = new Set(readdirSync(dir));
  const service = await startService(token, { profileDir: dir });
  const figures = await measureService(service, { token, body: chatBody(QUESTION, '1', PROJECTS[0]!) }, Math.min(DURATION_S, 5));
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
  if (!file) throw new Error('the service wrote no CPU profile');
  const summary = summariseProfile(join(dir, file), 'dist/node.mjs', figures.windowUs);
  return { figures, summary, file: join(dir, file) };
}

function bundleKiB(): number {
  const outdir = join(work, 'worker');
  const result = spawnSync(join('node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', outdir], { encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
  if (result.status !== 0) throw new Error(`wrangler failed: ${result.stderr}`);
  return gzipSync(readFileSync(join(outdir, 'worker.js'))).length / 1024;
}

const verdict = (ok: boolean, miss: string) => (ok ? 'meets target' : `MISSES target by ${miss}`);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

async function main(): Promise<void> {
  const build = spawnSync('npm', ['run', '--silent', 'build:node'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build:node failed: ${build.stderr}`);
  const cpus = cpus_();
  const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  console.log(
    `Benchmark${SMOKE ? ' (smoke)' : ''}: ${ORDERS.toLocaleString('en')} orders, concurrency ${CONNECTIONS}, pool ${POOL}, ${DURATION_S} s per run\n` +
      `Machine: ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${load1} at start (service, PostgreSQL and load generator share these cores)\n`,
  );
  await createBenchDatabase();
  POSTMASTER = await postmasterPid();
  const query = await capturedQuery();
  console.log(`SQL: ${query.sql.replace(/\s+/g, ' ')}  params: ${JSON.stringify(query.params)}`);

  const tokens = new Map(
    await Promise.all(USERS.map(async (userId) => [userId, await mintAccessToken({ secret: SECRET, algorithm: 'HS256', userId, lifetimeSeconds: 3600 })] as const)),
  );
  const token = tokens.get('1')!;
  const seed = { token, body: chatBody(QUESTION, '1', PROJECTS[0]!) };

  const nodeService = await startService(token);
  const nodeHealth = await healthRps(nodeService.base, CONNECTIONS);
  const serviceFigures = await measureService(nodeService, seed);
  // The optional result cache (off by default): the same question within 1 s is answered from memory.
  const cachedFigures = await measureService(await startService(token, { extraEnv: { RESULT_CACHE_TTL_MS: '1000' } }), seed);
  const raw = pgbench(seedScript(query));
  const rawConnect = pgbench(seedScript(query), { connectPerTransaction: true, seconds: SMOKE ? 1 : Math.max(2, DURATION_S / 2) });

  const sequence = mixedSequence(USERS, PROJECTS);
  const mixedScripts = pgbenchScripts(sequence, work);
  const mixedFigures = await measureMixed(tokens, sequence);
  const mixedRaw = pgbench(mixedScripts.args);

  const bunService = await startService(token, { runtime: 'bun' });
  const bunFigures = await measureService(bunService, seed);

  const workers: Record<string, Awaited<ReturnType<typeof measureWorker>>> = {};
  for (const how of ['wrangler dev', 'Miniflare'] as const) {
    for (const variant of ['neon', 'hyperdrive'] as const) workers[`${variant}, ${how}`] = await measureWorker(variant, how, token);
  }
  // Neon's driver as it was before single statements went over HTTP: the change's effect alone.
  workers['neon, Miniflare, WebSocket only'] = await measureWorker('neon', 'Miniflare, WebSocket only', token);
  const profiled = await measureProfile(token);
  const hot = await measureHotPath(SMOKE ? 0.1 : 1);
  const bundle = bundleKiB();

  const row = (name: string, f: Figures & { non2xx?: number; errors?: number; statuses?: string }, ratioTo?: Figures, extra = '') =>
    `${name.padEnd(56)} ${f.rps.toFixed(0).padStart(8)} ${f.p50.toFixed(2).padStart(8)} ${f.p99.toFixed(2).padStart(8)}` +
    `${ratioTo ? pct(f.rps / ratioTo.rps).padStart(10) : ''.padStart(10)}${extra}` +
    (f.non2xx || f.errors ? `   (${f.non2xx ?? 0} non-2xx${f.statuses ? ` (${f.statuses})` : ''}, ${f.errors ?? 0} errors)` : '');
  const cpuCols = (f: LoadFigures) => `   service ${f.serviceCpuMsPerRequest.toFixed(3)} ms, PostgreSQL ${f.postgresCpuMsPerRequest.toFixed(3)} ms`;
  console.log(`\n${'run'.padEnd(56)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'of raw'.padStart(10)}   CPU per request`);
  console.log(row(`raw limit, seed query (pgbench, c=${POOL})`, raw));
  console.log(row(`raw, new connection per query (pgbench -C)`, rawConnect, raw));
  console.log(row(`Node: seed question (c=${CONNECTIONS})`, serviceFigures, raw, cpuCols(serviceFigures)));
  console.log(row('Node: seed question, result cache 1 s', cachedFigures, raw, cpuCols(cachedFigures)));
  console.log(row(`Bun: seed question (c=${CONNECTIONS})`, bunFigures, raw, cpuCols(bunFigures)));
  console.log(row(`raw limit, mixed query mix (pgbench, ${mixedScripts.statements} statements)`, mixedRaw));
  console.log(row(`Node: mixed (${USERS.length} users, ${PROJECTS.length} projects, ${FOLLOW_UP_SHARE * 100} % follow-ups)`, mixedFigures, mixedRaw, cpuCols(mixedFigures)));
  for (const [variant, w] of Object.entries(workers)) {
    console.log(row(`Worker (${variant}): seed question`, w.figures, raw, `   all local processes ${(Object.values(w.byRole).reduce((a, b) => a + b, 0)).toFixed(3)} ms, PostgreSQL ${w.figures.postgresCpuMsPerRequest.toFixed(3)} ms`));
  }
  console.log(row(`Node: /health (c=${CONNECTIONS})`, nodeHealth));
  for (const [variant, w] of Object.entries(workers)) console.log(row(`Worker (${variant}): /health`, w.health));
  const all = [serviceFigures, cachedFigures, bunFigures, mixedFigures, ...Object.values(workers).map((w) => w.figures)];
  console.log(`errors: ${all.reduce((n, f) => n + f.errors, 0)}, non-2xx: ${all.reduce((n, f) => n + f.non2xx, 0)}`);

  const ratio = serviceFigures.rps / raw.rps;
  const mixedRatio = mixedFigures.rps / mixedRaw.rps;
  const cpu = serviceFigures.serviceCpuMsPerRequest;
  console.log('');
  console.log(`service / raw limit          ${pct(ratio)}   ${verdict(ratio >= TARGETS.ratio, `${((TARGETS.ratio - ratio) * 100).toFixed(1)} points`)} (≥ ${TARGETS.ratio * 100} %)`);
  console.log(`mixed / raw limit of its mix ${pct(mixedRatio)}   ${verdict(mixedRatio >= TARGETS.mixedRatio, `${((TARGETS.mixedRatio - mixedRatio) * 100).toFixed(1)} points`)} (≥ ${TARGETS.mixedRatio * 100} %)`);
  console.log(`service p99                  ${serviceFigures.p99.toFixed(1)} ms   ${verdict(serviceFigures.p99 <= TARGETS.p99Ms, `${(serviceFigures.p99 - TARGETS.p99Ms).toFixed(1)} ms`)} (≤ ${TARGETS.p99Ms} ms)`);
  console.log(`service CPU per request      ${cpu.toFixed(3)} ms   ${verdict(cpu <= TARGETS.cpuMs, `${(cpu - TARGETS.cpuMs).toFixed(3)} ms`)} (≤ ${TARGETS.cpuMs} ms; Bun ${bunFigures.serviceCpuMsPerRequest.toFixed(3)} ms = ${pct(bunFigures.serviceCpuMsPerRequest / cpu)} of Node's)`);
  console.log(`Bun / Node throughput        ${pct(bunFigures.rps / serviceFigures.rps)} (p50 ${bunFigures.p50.toFixed(1)} vs ${serviceFigures.p50.toFixed(1)} ms)`);
  console.log(`token + matching CPU         ${(hot.totalUs / 1000).toFixed(3)} ms (token ${hot.tokenUs.toFixed(1)} µs, matching ${hot.matchUs.toFixed(1)} µs)   ${verdict(hot.totalUs / 1000 <= TARGETS.hotPathMs, `${(hot.totalUs / 1000 - TARGETS.hotPathMs).toFixed(3)} ms`)} (≤ ${TARGETS.hotPathMs} ms)`);
  console.log(`service RSS under load       ${serviceFigures.rssMiB.toFixed(1)} MiB   ${verdict(serviceFigures.rssMiB <= TARGETS.rssMiB, `${(serviceFigures.rssMiB - TARGETS.rssMiB).toFixed(1)} MiB`)} (≤ ${TARGETS.rssMiB} MiB; Bun ${bunFigures.rssMiB.toFixed(1)} MiB)`);
  console.log(`process start → first 200    ${nodeService.firstOkMs.toFixed(0)} ms (Bun ${bunService.firstOkMs.toFixed(0)} ms)`);
  // Why the ratio target is out of reach here: where each request's CPU goes, on shared cores.
  const cores = cpus.length;
  const perRequest = serviceFigures.serviceCpuMsPerRequest + serviceFigures.loadCpuMsPerRequest + serviceFigures.postgresCpuMsPerRequest;
  console.log(
    `CPU per request              service ${serviceFigures.serviceCpuMsPerRequest.toFixed(3)} ms + load generator ${serviceFigures.loadCpuMsPerRequest.toFixed(3)} ms ` +
      `+ PostgreSQL ${serviceFigures.postgresCpuMsPerRequest.toFixed(3)} ms = ${perRequest.toFixed(3)} ms → ${((perRequest * serviceFigures.rps) / 1000).toFixed(2)} of ${cores} cores busy at ${serviceFigures.rps.toFixed(0)} req/s`,
  );
  const { summary } = profiled;
  const perReq = (ms: number) => ms / Math.max(1, profiled.figures.requests);
  console.log(
    `service CPU by part          (profile of ${profiled.figures.requests} requests, ${perReq(summary.busyMs).toFixed(3)} ms each${args.profile ? `, ${profiled.file}` : ''}) ` +
      CATEGORIES.map((c) => `${c} ${perReq(summary.byCategory[c]).toFixed(3)} ms (${pct(summary.byCategory[c] / Math.max(1e-9, summary.busyMs))})`).join(', '),
  );
  for (const [variant, w] of Object.entries(workers)) {
    const share = w.figures.rps / serviceFigures.rps;
    const p50Factor = w.figures.p50 / serviceFigures.p50;
    console.log(
      `Worker (${variant}) / Node`.padEnd(48) +
        `${pct(share)} of Node's req/s, p50 ${p50Factor.toFixed(1)}× Node's   ` +
        `${verdict(share >= TARGETS.workerShare && p50Factor <= TARGETS.workerP50Factor, `${share < TARGETS.workerShare ? `${((TARGETS.workerShare - share) * 100).toFixed(1)} points of throughput` : ''}${share < TARGETS.workerShare && p50Factor > TARGETS.workerP50Factor ? ', ' : ''}${p50Factor > TARGETS.workerP50Factor ? `p50 ${(p50Factor / TARGETS.workerP50Factor).toFixed(1)}× over` : ''}`)} (≥ ${TARGETS.workerShare * 100} %, p50 ≤ ${TARGETS.workerP50Factor}×)`,
    );
    console.log(
      `${''.padEnd(48)}its /health alone: ${w.health.rps.toFixed(0)} req/s = ${pct(w.health.rps / nodeHealth.rps)} of Node's /health; CPU per request: ` +
        `${Object.entries(w.byRole).map(([role, ms]) => `${role} ${ms.toFixed(3)} ms`).join(', ')}, PostgreSQL ${w.figures.postgresCpuMsPerRequest.toFixed(3)} ms`,
    );
  }
  console.log(`new PostgreSQL connection    pgbench -C: ${pct(rawConnect.rps / raw.rps)} of pooled throughput (what a connection per request costs the database)`);
  console.log(`Worker bundle                ${bundle.toFixed(1)} KiB gzip   ${verdict(bundle <= TARGETS.bundleKiB, `${(bundle - TARGETS.bundleKiB).toFixed(1)} KiB`)} (≤ ${TARGETS.bundleKiB} KiB)`);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`); // also when a run fails
}
