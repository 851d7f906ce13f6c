// The Worker under load: `wrangler dev` (workerd, local mode) in both database variants, as
// `npm run dev` and test/worker.test.ts start it, loopback only. Local mode adds parts that a
// deployed Worker does not have (wrangler's proxy in front of the Worker, the WebSocket→TCP
// bridge, a PostgreSQL backend per connection where Neon and Hyperdrive pool them), so the
// CPU each process spends per request is reported apart.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Miniflare } from 'miniflare';
import { freePort } from '../scripts/free-port.js';

export type WorkerVariant = 'neon' | 'hyperdrive';

export type RunningWorker = {
  base: string;
  /** CPU time (ms) used so far by each part of the local setup, by role. */
  cpuByRole(): Record<string, number>;
  stop(): Promise<void>;
};

/** A child in its own process group (its children stop with it), with its stderr's tail. */
function startGroup(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(command, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  return {
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Processes of a process group, with their command line and CPU time (ms, Linux clock ticks of 10 ms). */
export function groupProcesses(pgid: number): { pid: number; cmdline: string; cpuMs: number }[] {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(fields[2]) !== pgid) continue; // field 5 of stat: the process group
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      found.push({ pid: Number(entry), cmdline, cpuMs: (Number(fields[11]) + Number(fields[12])) * 10 });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** What a process of wrangler dev's group is: the Worker's own workerd, wrangler's proxy, or wrangler itself. */
function roleOf(cmdline: string): string {
  if (/\bworkerd serve\b/.test(cmdline)) return cmdline.includes('--inspector-addr') ? 'workerd (the Worker)' : "wrangler's proxy (workerd)";
  return 'wrangler (node, esbuild)';
}

/**
 * Starts the Worker in `wrangler dev` against `databaseUrl`: 'neon' is src/entry/worker.ts with
 * Neon's driver through the project's bridge (npm run dev: single statements over HTTP, transactions
 * over the WebSocket; the bridge runs in a process of its own here, so its CPU is counted apart); 'hyperdrive' is `--env hyperdrive`,
 * node-postgres over the local Hyperdrive binding (plain TCP to PostgreSQL).
 */
const ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

/** The bridge (npm run db:bridge) in a process of its own, and the settings that point the Worker at it. */
async function startBridgeProcess(databaseUrl: string) {
  const port = await freePort();
  const bridge = startGroup(process.execPath, ['--import', 'tsx', join('scripts', 'db-bridge.ts')], { ...ENV, DATABASE_BRIDGE_PORT: String(port) });
  const vars = { DATABASE_URL: databaseUrl, DATABASE_WS_PROXY: `ws://127.0.0.1:${port}/v1`, DATABASE_HTTP_PROXY: `http://127.0.0.1:${port}/sql` };
  return { bridge, vars };
}

const hyperdriveUrlOf = (databaseUrl: string) => {
  const url = new URL(databaseUrl);
  url.password = 'unused'; // Miniflare requires one; the local server trusts loopback
  return url.toString();
};

export async function startWorker(variant: WorkerVariant, databaseUrl: string, vars: Record<string, string>): Promise<RunningWorker> {
  const env = ENV;
  const started = variant === 'neon' ? await startBridgeProcess(databaseUrl) : undefined;
  const bridge = started?.bridge;
  const hyperdriveUrl = hyperdriveUrlOf(databaseUrl);
  const allVars = { ...vars, ...started?.vars };
  const port = await freePort();
  const wrangler = startGroup(
    join('node_modules', '.bin', 'wrangler'),
    [
      'dev', ...(variant === 'hyperdrive' ? ['--env', 'hyperdrive'] : []), '--ip', '127.0.0.1', '--port', String(port),
      '--inspector-port', String(await freePort()), '--show-interactive-dev-session=false', '--log-level', 'warn',
      ...Object.entries(allVars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
    ],
    { ...env, CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: hyperdriveUrl },
  );
  const stop = async () => {
    await wrangler.stop();
    await bridge?.stop();
  };
  const cpuByRole = () => {
    const roles: Record<string, number> = {};
    for (const p of groupProcesses(wrangler.child.pid!)) roles[roleOf(p.cmdline)] = (roles[roleOf(p.cmdline)] ?? 0) + p.cpuMs;
    if (bridge) roles['bridge (node)'] = groupProcesses(bridge.child.pid!).reduce((sum, p) => sum + p.cpuMs, 0);
    return roles;
  };
  const base = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + 90_000;
  while (performance.now() < deadline && wrangler.child.exitCode === null) {
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) return { base, cpuByRole, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`wrangler dev (${variant}) did not answer /health within 90 s:\n${wrangler.stderr()}`);
}

/**
 * The same Worker bundle (wrangler deploy --dry-run) in workerd through Miniflare directly: no
 * wrangler dev in front (its proxy Worker, and its Node process that receives every log line and
 * request record and appends it to a debug log file). Still local workerd and local databases.
 * `webSocketOnly` leaves DATABASE_HTTP_PROXY unset: every statement over the WebSocket, two
 * connections per request, as before single statements went over HTTP.
 */
export async function startMiniflareWorker(
  variant: WorkerVariant,
  databaseUrl: string,
  vars: Record<string, string>,
  outdir: string,
  { webSocketOnly = false } = {},
): Promise<RunningWorker> {
  const dry = spawnSync(join('node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', ...(variant === 'hyperdrive' ? ['--env', 'hyperdrive'] : []), '--outdir', outdir], { encoding: 'utf8', env: ENV });
  if (dry.status !== 0) throw new Error(`wrangler deploy --dry-run failed: ${dry.stderr}`);
  const started = variant === 'neon' ? await startBridgeProcess(databaseUrl) : undefined;
  // Miniflare's local Hyperdrive proxy (in this process) pipes its sockets without an 'error'
  // listener: a connection that workerd resets would end the bench. Counted and said, not hidden.
  let resets = 0;
  const onReset = (error: Error & { code?: string }) => {
    if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') throw error;
    resets += 1;
  };
  process.on('uncaughtException', onReset);
  const port = await freePort();
  const mf = new Miniflare({
    host: '127.0.0.1',
    port,
    compatibilityDate: '2026-04-01', // wrangler.toml's
    compatibilityFlags: variant === 'hyperdrive' ? ['nodejs_compat'] : [],
    modulesRoot: outdir,
    modules: [
      { type: 'ESModule', path: join(outdir, variant === 'hyperdrive' ? 'worker-hyperdrive.js' : 'worker.js') },
      { type: 'ESModule', path: join(outdir, 'sql-parser', 'worker-module.mjs') },
      { type: 'CompiledWasm', path: join(outdir, 'sql-parser', 'libpg-query.wasm') },
    ],
    bindings: { ALGORITHM: 'HS256', APP_TIMEZONE: 'UTC', ...vars, ...started?.vars, ...(webSocketOnly ? { DATABASE_HTTP_PROXY: '' } : {}) },
    ...(variant === 'hyperdrive' ? { hyperdrives: { HYPERDRIVE: hyperdriveUrlOf(databaseUrl) } } : {}),
    logRequests: false,
    // The Worker's log lines are read and dropped, as a deployed Worker's go nowhere without a tail.
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.resume();
      stderr.resume();
    },
  });
  const stop = async () => {
    await mf.dispose();
    await started?.bridge.stop();
    await new Promise((r) => setTimeout(r, 200)); // resets of sockets closed by the disposal
    process.off('uncaughtException', onReset);
    if (resets > 0) console.log(`(Miniflare's local Hyperdrive proxy: ${resets} connection resets ignored)`);
  };
  try {
    await mf.ready;
  } catch (error) {
    await stop();
    throw error;
  }
  const workerd = () =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .flatMap((entry) => {
        try {
          const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
          if (Number(fields[1]) !== process.pid || !readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('workerd')) return [];
          return [(Number(fields[11]) + Number(fields[12])) * 10];
        } catch {
          return [];
        }
      })
      .reduce((a, b) => a + b, 0);
  const cpuByRole = () => ({
    'workerd (the Worker)': workerd(),
    ...(started ? { 'bridge (node)': groupProcesses(started.bridge.child.pid!).reduce((sum, p) => sum + p.cpuMs, 0) } : {}),
  });
  return { base: `http://127.0.0.1:${port}`, cpuByRole, stop };
}
