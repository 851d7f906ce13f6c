import { z } from 'zod';
import { createApp, type App } from '../app.js';
import { devTokenInstructions, mintAccessToken } from '../services/auth/dev-token.js';
import { tokenSettingsFrom } from '../services/auth/settings.js';
import { ConfigError, configSchema, integer, misspelledSettings, parseConfig, usesHmac } from '../config.js';
import type { ClientAddressReader } from '../middleware/client-address.js';
import { databaseSetupProblem } from '../adapters/db/setup-errors.js';
import { DatabaseUnavailableError, type Database } from '../adapters/db/database.js';
import { pendingMigrations } from '../adapters/db/migrations.js';
import { serviceTables, type ServiceTables } from '../adapters/db/tables.js';
import { openNodeDatabase } from '../adapters/db/open-node.js';
import { DEMO_USER_ID } from '../adapters/db/seed.js';
import { createStdoutLog } from '../adapters/log/stdout.js';
import { swaggerUiFiles } from './swagger-ui-files.js';


/** Settings only the long-running server entries (Node, Bun, Deno) read. */
const serverSettings = z.object({
  PORT: integer(8787, 0, 65535, ' (0 picks a free port)'),
  HOST: z.string().min(1).default('127.0.0.1'),
  EMBEDDED_DB_DIR: z.string().min(1).optional(),
  DATABASE_POOL_MAX: integer(10, 1, 200),
});

/**
 * Every setting name the server reads (the service's, the server entries', npm run dev's and
 * db:bridge's), for "did you mean" on typos.
 */
export const KNOWN_SETTINGS: readonly string[] = [...Object.keys(configSchema.shape), ...Object.keys(serverSettings.shape), 'DATABASE_BRIDGE_PORT'];

export type StandaloneOptions = {
  /** The runtime's reader of the connection's client address (its getConnInfo). */
  clientAddress?: ClientAddressReader;
};

export type Standalone = {
  app: App;
  db: Database;
  port: number;
  host: string;
  /** The start-up message for the address the runtime actually listens on. */
  announce(baseUrl: string): Promise<string>;
  /** Writes the log lines still buffered and waits for stdout to take them: call before exiting. */
  flushLog(): Promise<void>;
};

/**
 * Everything a server entry does before listening, whatever the runtime: settings, the
 * database (DATABASE_URL or the embedded one with demo data), and the zero-config
 * development secret with its printed token.
 */
export async function prepareStandalone(rawEnv: Record<string, string | undefined>, options: StandaloneOptions = {}): Promise<Standalone> {
  const env = Object.fromEntries(Object.entries(rawEnv).filter((entry): entry is [string, string] => !!entry[1]));
  // Every mistake at once, in one message: misspelled names, the server's settings, the service's.
  const parsedSettings = serverSettings.safeParse(env);
  const serverProblems = parsedSettings.success ? [] : parsedSettings.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  // Zero-config development only (embedded database, HMAC tokens, no secret given): an
  // ephemeral secret, and a token for it in the banner.
  const devSecret = usesHmac(env.ALGORITHM) && !env.JWT_SECRET_KEY && !env.DATABASE_URL;
  if (devSecret) env.JWT_SECRET_KEY = crypto.randomUUID() + crypto.randomUUID();
  const config = parseConfig(env, [...misspelledSettings(rawEnvNames(env, devSecret), KNOWN_SETTINGS), ...serverProblems]);
  const settings = parsedSettings.data!; // parseConfig has thrown when it is missing
  tokenSettingsFrom(config); // key settings that do not fit ALGORITHM stop start-up here, before any I/O

  const { db, kind } = await openNodeDatabase(config, { embeddedDataDir: settings.EMBEDDED_DB_DIR, poolMax: settings.DATABASE_POOL_MAX });
  if (kind === 'postgres') await refuseUnmigrated(db, serviceTables(config.DATABASE_SCHEMA), config.DATABASE_URL);
  // One JSON line per entry, written in batches (adapters/log/batched.ts), not one write per request.
  const output = createStdoutLog();
  const log = output.log;
  // Loaded only when configured: without RATE_LIMIT_REDIS_URL the Redis client is never imported.
  const rateLimitStore = config.RATE_LIMIT_REDIS_URL
    ? (await import('../adapters/ratelimit/redis.js')).createRedisRateLimitStore({ url: config.RATE_LIMIT_REDIS_URL, log })
    : undefined;
  // PostgreSQL's own parser (WASM) checks model-written SQL for projects that opt in.
  const sqlParser = await (await import('../services/guarded-sql/load-parser.js')).loadSqlParser();
  // Development mode only: the token printed below, also offered by the chat page at /.
  const devToken = devSecret
    ? await mintAccessToken({ secret: env.JWT_SECRET_KEY!, algorithm: config.ALGORITHM, userId: DEMO_USER_ID, userIdClaim: config.JWT_USER_ID_CLAIM })
    : undefined;
  // Swagger UI's files from node_modules: /docs works offline.
  const app = createApp({
    config,
    db,
    log,
    rateLimitStore,
    sqlParser,
    swaggerUiAssets: swaggerUiFiles(),
    clientAddress: options.clientAddress,
    ...(devToken ? { devToken } : {}),
  });

  async function announce(base: string): Promise<string> {
    const lines = [
      `Chat API listening on ${base} (database: ${kind === 'embedded' ? 'embedded PostgreSQL with demo data' : 'DATABASE_URL'}; model: ${config.OPENAI_API_KEY ? config.OPENAI_MODEL : 'not configured'})`,
      `Chat page: ${base}/   Docs: ${base}/docs`,
    ];
    if (devToken) {
      const token = devToken;
      lines.push(
        '',
        'Development mode: JWT_SECRET_KEY is not set, so an ephemeral secret was generated.',
        ...devTokenInstructions(base, token, DEMO_USER_ID),
      );
    }
    return lines.join('\n');
  }

  return { app, db, port: settings.PORT, host: settings.HOST, announce, flushLog: () => output.close() };
}

/** The settings as given (without the generated development secret), for the misspelling check. */
function rawEnvNames(env: Record<string, string>, devSecret: boolean): Record<string, string> {
  if (!devSecret) return env;
  const { JWT_SECRET_KEY: _generated, ...given } = env;
  return given;
}

/**
 * An unmigrated database is a deployment mistake: stop. An unreachable one may come back:
 * start anyway, answer 503 meanwhile, and let /ready say so.
 */
async function refuseUnmigrated(db: Database, tables: ServiceTables, url: string | undefined): Promise<void> {
  let pending: string[];
  try {
    pending = await pendingMigrations(db, tables);
  } catch (error) {
    // No such database or role, a refused password: DATABASE_URL is wrong, waiting will not help.
    const setupProblem = databaseSetupProblem(error, url);
    if (setupProblem) {
      await db.close();
      throw setupProblem;
    }
    if (!(error instanceof DatabaseUnavailableError)) throw error;
    console.warn(`Database unreachable at start (${error.message}); serving 503 until it is back, see /ready`);
    return;
  }
  if (pending.length > 0) {
    await db.close();
    throw new ConfigError(`the database needs migrations (${pending.join(', ')}): run "npm run db:migrate"`);
  }
}

/** Prints start-up failures caused by settings without a stack trace. */
export function reportStartupFailure(error: unknown): void {
  console.error(error instanceof ConfigError ? `Cannot start: ${error.message}` : error);
}

/**
 * A server that cannot listen, as a settings problem naming PORT/HOST (Node's EADDRINUSE,
 * Bun's, Deno's AddrInUse); other errors are returned as they are.
 */
export function listenProblem(error: unknown, port: number, host: string): unknown {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (code === 'EADDRINUSE' || name === 'AddrInUse') {
    return new ConfigError(`port ${port} on ${host} is already in use: stop the program using it, or set PORT to a free port (PORT=0 picks one)`);
  }
  if (code === 'EACCES' || name === 'PermissionDenied') {
    return new ConfigError(`not allowed to listen on port ${port} on ${host}: set PORT to a port above 1023 (PORT=0 picks a free one)`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || name === 'AddrNotAvailable') {
    return new ConfigError(`cannot listen on HOST=${host}: it is not an address of this machine (127.0.0.1 for this machine only, 0.0.0.0 for every interface)`);
  }
  return error;
}
