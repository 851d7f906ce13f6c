import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { WebSocket } from 'ws';
import { startBridge, type Bridge } from '../../scripts/ws-bridge.js';
import type { Database } from '../../src/adapters/db/database.js';
import { migrate } from '../../src/adapters/db/migrations.js';
import { createNeonDatabase } from '../../src/adapters/db/neon.js';
import { createNodePostgresDatabase } from '../../src/adapters/db/node-postgres.js';
import { createPgliteDatabase } from '../../src/adapters/db/pglite.js';
import { seedDemoData } from '../../src/adapters/db/seed.js';

/** The local PostgreSQL server the tests use; each test file gets its own fresh database on it. */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type TestDatabase = { name: string; db: Database; url?: string; drop(): Promise<void> };

/**
 * embedded: PGlite in-process; postgres: node-postgres over TCP; neon: Neon's serverless
 * driver over a WebSocket, through the project's bridge, to the same local PostgreSQL;
 * neon-http: the same driver as the Worker runs it, single statements over HTTP (the bridge's
 * /sql), transactions and scripts over the WebSocket.
 */
export type DatabaseKind = 'embedded' | 'postgres' | 'neon' | 'neon-http';
export const DATABASE_KINDS: readonly DatabaseKind[] = ['embedded', 'postgres', 'neon'];

let bridge: Promise<Bridge> | undefined;
/** One bridge per test file, started on first use; it ends with the file's worker. */
export const testBridge = (): Promise<Bridge> => (bridge ??= startBridge());

/** A pool to a PostgreSQL server at `url`: node-postgres, or Neon's driver through the project's bridge. */
export async function openServerDatabase(
  kind: Exclude<DatabaseKind, 'embedded'>,
  url: string,
  options: { max?: number; connectTimeoutMs?: number; statementTimeoutMs?: number } = {},
): Promise<Database> {
  const { max, ...timeouts } = options;
  return kind === 'neon' || kind === 'neon-http'
    ? createNeonDatabase({
        connectionString: url,
        wsProxy: (await testBridge()).url,
        httpProxy: kind === 'neon-http' ? (await testBridge()).httpUrl : undefined,
        // Node 20 has no global WebSocket; Workers and newer runtimes do.
        webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
        ...timeouts,
      })
    : createNodePostgresDatabase({ connectionString: url, ...(max === undefined ? {} : { max }), ...timeouts });
}

/** A new, empty database of the given kind; `drop()` closes and deletes it. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'embedded') {
    const db = await createPgliteDatabase(undefined, { loadDataDir: await embeddedTemplate() });
    return { name: 'embedded', db, drop: () => db.close() };
  }
  const name = `chat_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openServerDatabase(kind, url.toString(), { max: 4 });
  return {
    name,
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A fresh database with the schema and the demo data, seeded relative to `now`. */
export async function createSeededDatabase(kind: DatabaseKind, now = new Date()): Promise<TestDatabase> {
  const test = await createTestDatabase(kind);
  await migrate(test.db);
  await seedDemoData(test.db, now);
  return test;
}

/**
 * Creating an embedded cluster runs initdb inside PGlite's WebAssembly: seconds of CPU each, for
 * ~30 embedded databases per run. Starting from a dump of an initialised cluster takes a fraction
 * of that, so the first test file that needs one saves a template (under node_modules/.cache,
 * keyed on the PGlite version) and every embedded test database starts, in memory, from it.
 */
const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));
const TEMPLATE = join(
  NODE_MODULES, '.cache', 'chat-api-tests',
  `pglite-${packageVersion('@electric-sql/pglite')}-pgvector-${packageVersion('@electric-sql/pglite-pgvector')}.tar`,
);
let template: Promise<Blob> | undefined;

/** The template's bytes; built once (concurrent first builders each write one, the last rename wins). */
function embeddedTemplate(): Promise<Blob> {
  return (template ??= (async () => {
    if (!existsSync(TEMPLATE)) {
      const fresh = await PGlite.create();
      const dump = Buffer.from(await (await fresh.dumpDataDir('none')).arrayBuffer());
      await fresh.close();
      mkdirSync(dirname(TEMPLATE), { recursive: true });
      const partial = `${TEMPLATE}.${process.pid}`;
      writeFileSync(partial, dump);
      renameSync(partial, TEMPLATE);
    }
    return new Blob([readFileSync(TEMPLATE)]);
  })());
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(NODE_MODULES, name, 'package.json'), 'utf8')) as { version: string }).version;
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Wraps a database to count the statements run on it: proof that a request never reached it. */
export function countingDatabase(target: () => Database): { db: Database; readonly queries: number } {
  let queries = 0;
  return {
    db: {
      query: (sql, params) => {
        queries++;
        return target().query(sql, params);
      },
      exec: (script) => target().exec(script),
      close: async () => {},
    },
    get queries() {
      return queries;
    },
  };
}
