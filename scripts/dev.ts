// npm run dev — the Worker in wrangler dev (workerd), fully offline, against a local PostgreSQL
// reached through the project's WebSocket bridge with Neon's driver, exactly as in production.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import pg from 'pg';
import { LONG_STATEMENT_MS, runCli } from './cli.js';
import { startBridge } from './ws-bridge.js';
import { devTokenInstructions, mintAccessToken } from '../src/services/auth/dev-token.js';
import { ConfigError, configSchema, misspelledSettings, parseConfig, usesHmac } from '../src/config.js';
import { databaseSetupProblem } from '../src/adapters/db/setup-errors.js';
import { KNOWN_SETTINGS } from '../src/entry/standalone.js';
import { serviceTables, type ServiceTables } from '../src/adapters/db/tables.js';
import { migrate } from '../src/adapters/db/migrations.js';
import { createNodePostgresDatabase } from '../src/adapters/db/node-postgres.js';
import { DEMO_USER_ID, seedDemoData } from '../src/adapters/db/seed.js';
import { freePort, isPortFree } from './free-port.js';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/chat_dev';

runCli(async () => {
  // Settings: .dev.vars (what wrangler dev reads too), overridden by the shell's environment.
  const fileVars = existsSync('.dev.vars') ? parseEnv(readFileSync('.dev.vars', 'utf8')) : {};
  const env: Record<string, string | undefined> = { ...fileVars, ...process.env };
  // Every settings mistake in one message (misspelled names, PORT, the service's), then the port
  // itself, before the database is touched.
  const typos = misspelledSettings(env, KNOWN_SETTINGS);
  const port = portOf(env.PORT);
  env.DATABASE_URL ||= DEFAULT_DATABASE_URL;
  const generatedSecret = usesHmac(env.ALGORITHM) && !env.JWT_SECRET_KEY;
  if (generatedSecret) env.JWT_SECRET_KEY = crypto.randomUUID() + crypto.randomUUID();
  const config = parseConfig(env, [...typos, ...(port === undefined ? ['PORT: must be a whole number from 1 to 65535'] : [])]);
  if (!(await isPortFree(port!))) {
    throw new ConfigError(`port ${port} on 127.0.0.1 is already in use: stop the program using it, or set PORT to a free port`);
  }
  const databaseUrl = config.DATABASE_URL!;

  try {
    await prepareDatabase(databaseUrl, serviceTables(config.DATABASE_SCHEMA));
  } catch (error) {
    throw databaseSetupProblem(error, databaseUrl) ?? error;
  }
  const bridge = await startBridge({ port: Number(env.DATABASE_BRIDGE_PORT ?? 0) });

  // Every setting given in the shell (or generated here) is passed on; the rest comes from .dev.vars.
  const vars: Record<string, string> = { DATABASE_URL: databaseUrl, DATABASE_WS_PROXY: bridge.url, DATABASE_HTTP_PROXY: bridge.httpUrl };
  for (const name of Object.keys(configSchema.shape)) {
    const value = process.env[name];
    if (value && !(name in vars)) vars[name] = value;
  }
  if (generatedSecret) vars.JWT_SECRET_KEY = config.JWT_SECRET_KEY!;

  const wrangler = spawn(
    join('node_modules', '.bin', 'wrangler'), // the project's own wrangler, without npx's lookup
    [
      'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(await freePort()),
      '--show-interactive-dev-session=false', ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' } },
  );
  let announced = false;
  wrangler.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (!announced && /Ready on http/.test(chunk.toString())) {
      announced = true;
      void announce(`http://127.0.0.1:${port}`, generatedSecret ? config.JWT_SECRET_KEY! : undefined, config);
    }
  });
  const stop = () => {
    wrangler.kill('SIGTERM');
    void bridge.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  wrangler.once('exit', (code) => {
    void bridge.close().then(() => process.exit(code ?? 0));
  });
});

/** PORT for wrangler dev (default 8787); undefined when it is not a port number. */
function portOf(value: string | undefined): number | undefined {
  const text = value?.trim() ?? '';
  if (text === '') return 8787;
  const port = Number(text);
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}

/** Creates the database if needed, applies migrations and loads the demo data into an empty one. */
async function prepareDatabase(url: string, tables: ServiceTables): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      console.log(`Created database ${name}`);
    }
  } finally {
    await client.end();
  }
  const db = createNodePostgresDatabase({ connectionString: url, statementTimeoutMs: LONG_STATEMENT_MS });
  try {
    await migrate(db, tables);
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${tables.projects}`);
    if (row?.n === 0) {
      await seedDemoData(db, new Date(), tables);
      console.log('Loaded the demo data');
    }
  } finally {
    await db.close();
  }
}

async function announce(base: string, secret: string | undefined, config: ReturnType<typeof parseConfig>): Promise<void> {
  console.log(`\nChat API (Worker, wrangler dev) listening on ${base}\nChat page: ${base}/   Docs: ${base}/docs`);
  if (!secret) return;
  const token = await mintAccessToken({ secret, algorithm: config.ALGORITHM, userId: DEMO_USER_ID, userIdClaim: config.JWT_USER_ID_CLAIM });
  console.log(['', ...devTokenInstructions(base, token, DEMO_USER_ID)].join('\n'));
}
