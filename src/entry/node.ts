import { serve } from '@hono/node-server';
import { z } from 'zod';
import { createApp } from '../app.js';
import { mintAccessToken } from '../auth/dev-token.js';
import { ConfigError, parseConfig, requireJwtSecret } from '../config.js';
import { openNodeDatabase, pendingMigrations } from '../db/open-node.js';
import { DEMO_USER_ID } from '../db/seed.js';

/** Settings only the Node entry reads. */
const nodeSettings = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  EMBEDDED_DB_DIR: z.string().min(1).optional(),
});

async function main(): Promise<void> {
  const env = { ...process.env };
  const settings = nodeSettings.parse(stripEmpty(env));
  let devSecret = false;
  if (!env.JWT_SECRET_KEY && !env.DATABASE_URL) {
    // Zero-config development: an ephemeral secret, and a token for it printed below.
    env.JWT_SECRET_KEY = crypto.randomUUID() + crypto.randomUUID();
    devSecret = true;
  }
  const config = parseConfig(env);
  const secret = requireJwtSecret(config);

  const { db, kind } = await openNodeDatabase(config, settings.EMBEDDED_DB_DIR);
  if (kind === 'postgres') {
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      await db.close();
      throw new ConfigError(`the database needs migrations (${pending.join(', ')}): run "npm run db:migrate"`);
    }
  }

  const app = createApp({ config, db, log: (entry) => console.log(JSON.stringify({ time: new Date().toISOString(), ...entry })) });
  const server = serve({ fetch: app.fetch, port: settings.PORT, hostname: settings.HOST }, async (info) => {
    const base = `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`;
    console.log(`Chat API listening on ${base} (database: ${kind === 'embedded' ? 'embedded PostgreSQL with demo data' : 'DATABASE_URL'}; model: ${config.OPENAI_API_KEY ? config.OPENAI_MODEL : 'not configured'})`);
    console.log(`Docs: ${base}/docs`);
    if (devSecret) {
      const token = await mintAccessToken({ secret, algorithm: config.ALGORITHM, userId: DEMO_USER_ID, userIdClaim: config.JWT_USER_ID_CLAIM });
      console.log('\nDevelopment mode: JWT_SECRET_KEY is not set, so an ephemeral secret was generated.');
      console.log(`Development token (user ${DEMO_USER_ID}, valid 24 h):\n${token}\n`);
      console.log('Try it:');
      console.log(
        `curl -s ${base}/api/v1/chat -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' ` +
          `-d '{"mensaje":"¿Cuántas órdenes pendientes hay?","usuario_id":"${DEMO_USER_ID}","proyecto":"dashboard_miempresa"}'\n`,
      );
    }
  });

  const shutdown = () => {
    server.close(() => void db.close().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

function stripEmpty(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => !!entry[1]));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Cannot start: ${error.message}` : error);
  process.exit(1);
});
