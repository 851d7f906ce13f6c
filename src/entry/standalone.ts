import { z } from 'zod';
import { createApp, type App } from '../app.js';
import { devTokenInstructions, mintAccessToken } from '../auth/dev-token.js';
import { ConfigError, parseConfig, requireJwtSecret } from '../config.js';
import type { Database } from '../db/database.js';
import { openNodeDatabase, pendingMigrations } from '../db/open-node.js';
import { DEMO_USER_ID } from '../db/seed.js';

/** Settings only the long-running server entries (Node, Bun, Deno) read. */
const serverSettings = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  EMBEDDED_DB_DIR: z.string().min(1).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
});

export type Standalone = {
  app: App;
  db: Database;
  port: number;
  host: string;
  /** The start-up message for the address the runtime actually listens on. */
  announce(baseUrl: string): Promise<string>;
};

/**
 * Everything a server entry does before listening, whatever the runtime: settings, the
 * database (DATABASE_URL or the embedded one with demo data), and the zero-config
 * development secret with its printed token.
 */
export async function prepareStandalone(rawEnv: Record<string, string | undefined>): Promise<Standalone> {
  const env = Object.fromEntries(Object.entries(rawEnv).filter((entry): entry is [string, string] => !!entry[1]));
  const settings = serverSettings.parse(env);
  const devSecret = !env.JWT_SECRET_KEY && !env.DATABASE_URL;
  // Zero-config development only: an ephemeral secret, and a token for it in the banner.
  if (devSecret) env.JWT_SECRET_KEY = crypto.randomUUID() + crypto.randomUUID();
  const config = parseConfig(env);
  const secret = requireJwtSecret(config);

  const { db, kind } = await openNodeDatabase(config, { embeddedDataDir: settings.EMBEDDED_DB_DIR, poolMax: settings.DATABASE_POOL_MAX });
  if (kind === 'postgres') {
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      await db.close();
      throw new ConfigError(`the database needs migrations (${pending.join(', ')}): run "npm run db:migrate"`);
    }
  }
  const app = createApp({ config, db, log: (entry) => console.log(JSON.stringify({ time: new Date().toISOString(), ...entry })) });

  async function announce(base: string): Promise<string> {
    const lines = [
      `Chat API listening on ${base} (database: ${kind === 'embedded' ? 'embedded PostgreSQL with demo data' : 'DATABASE_URL'}; model: ${config.OPENAI_API_KEY ? config.OPENAI_MODEL : 'not configured'})`,
      `Docs: ${base}/docs`,
    ];
    if (devSecret) {
      const token = await mintAccessToken({ secret, algorithm: config.ALGORITHM, userId: DEMO_USER_ID, userIdClaim: config.JWT_USER_ID_CLAIM });
      lines.push(
        '',
        'Development mode: JWT_SECRET_KEY is not set, so an ephemeral secret was generated.',
        ...devTokenInstructions(base, token, DEMO_USER_ID),
      );
    }
    return lines.join('\n');
  }

  return { app, db, port: settings.PORT, host: settings.HOST, announce };
}

/** Prints start-up failures caused by settings without a stack trace. */
export function reportStartupFailure(error: unknown): void {
  console.error(error instanceof ConfigError ? `Cannot start: ${error.message}` : error);
}
