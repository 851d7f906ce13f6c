import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import type { Database } from '../src/adapters/db/database.js';
import { MIGRATION_IDS, migrate, pendingMigrations } from '../src/adapters/db/migrations.js';
import { seedDemoData } from '../src/adapters/db/seed.js';
import { serviceTables } from '../src/adapters/db/tables.js';
import { createServiceContainer } from '../src/services/container.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { migrateLegacy } from './support/legacy-migrations.js';
import { TEST_SECRET } from './support/tokens.js';

/** Where the service's tables live: their own schema, never public; old layouts are moved there. */
const opened: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((t) => t.drop()));
});
async function fresh(): Promise<Database> {
  const test = await createTestDatabase('postgres');
  opened.push(test);
  return test.db;
}

const tablesIn = async (db: Database, schema: string) =>
  (await db.query<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema])).map(
    (r) => r.name,
  );
const columnsOf = async (db: Database, schema: string, table: string) =>
  (
    await db.query<{ name: string }>(
      'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [schema, table],
    )
  ).map((r) => r.name);
const OURS = ['conversations', 'document_chunks', 'documents', 'messages', 'projects', 'schema_migrations'];

function services(ttl = '0') {
  return createServiceContainer({
    config: parseConfig({ JWT_SECRET_KEY: TEST_SECRET, PROJECT_CACHE_TTL_MS: ttl }),
    model: null,
    embeddings: null,
    now: () => new Date(),
    describeFailure: () => 'test',
    unfinishedTurnFailure: 'test',
  });
}

describe('the service tables live in DATABASE_SCHEMA', () => {
  it('a fresh database gets them in chat_api and nothing in public', async () => {
    const db = await fresh();
    expect(await migrate(db)).toEqual(MIGRATION_IDS);
    expect(await tablesIn(db, 'chat_api')).toEqual(OURS);
    expect(await tablesIn(db, 'public')).toEqual([]);
    expect(await pendingMigrations(db)).toEqual([]);
  });

  it('another schema when DATABASE_SCHEMA says so', async () => {
    const db = await fresh();
    const tables = serviceTables('chat_b');
    await migrate(db, tables);
    expect(await tablesIn(db, 'chat_b')).toEqual(OURS);
    expect(await tablesIn(db, 'chat_api')).toEqual([]);
    expect(await pendingMigrations(db)).toEqual(MIGRATION_IDS); // the default schema has none of them
    expect(await pendingMigrations(db, tables)).toEqual([]);
  });

  it('user tables named orders, projects, messages (and a Rails schema_migrations) in public are left untouched', async () => {
    const db = await fresh();
    await db.exec(`
CREATE TABLE public.orders (id int PRIMARY KEY, total numeric NOT NULL);
CREATE TABLE public.projects (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.messages (id int PRIMARY KEY, body text NOT NULL);
CREATE TABLE public.schema_migrations (version varchar PRIMARY KEY);
INSERT INTO public.orders VALUES (1, 10.5); INSERT INTO public.projects VALUES (7, 'Obra');
INSERT INTO public.messages VALUES (3, 'hola'); INSERT INTO public.schema_migrations VALUES ('20240101000000');`);
    expect(await migrate(db)).toEqual(MIGRATION_IDS);
    expect(await tablesIn(db, 'public')).toEqual(['messages', 'orders', 'projects', 'schema_migrations']);
    expect(await columnsOf(db, 'public', 'orders')).toEqual(['id', 'total']);
    expect(await columnsOf(db, 'public', 'projects')).toEqual(['id', 'name']);
    expect(await columnsOf(db, 'public', 'messages')).toEqual(['id', 'body']);
    expect(await db.query('SELECT * FROM public.projects')).toEqual([{ id: 7, name: 'Obra' }]);
    expect(await db.query('SELECT * FROM public.schema_migrations')).toEqual([{ version: '20240101000000' }]);
    expect(await tablesIn(db, 'chat_api')).toEqual(OURS);
    // The registry reads its own projects, not the user's.
    expect(await services()(db).projects.listFor('1')).toEqual([]);
    // The demo data is not loaded over the user's orders.
    await expect(seedDemoData(db)).rejects.toThrow(/public\.orders exists and is not the demo's/);
    expect(await db.query('SELECT * FROM public.orders')).toEqual([{ id: 1, total: '10.5' }]);
  });

  it('a database migrated by the previous version (tables in public) is moved, rows, keys and the demo orders intact', async () => {
    const db = await fresh();
    await migrateLegacy(db);
    await db.exec(`
INSERT INTO projects (slug, display_name, system_prompt) VALUES ('viejo', 'Viejo', 'Eres un asistente.');
INSERT INTO orders (project, status, amount, customer) VALUES ('viejo', 'pending', 12, 'Cliente');
INSERT INTO conversations (id, user_id, project) VALUES ('00000000-0000-4000-8000-000000000001', '1', 'viejo');
INSERT INTO messages (conversation_id, role, content) VALUES ('00000000-0000-4000-8000-000000000001', 'user', '¿cuántas?');
INSERT INTO documents (id, project, title, media_type, size_bytes, created_by)
  VALUES ('00000000-0000-4000-8000-000000000002', 'viejo', 'Guía', 'text/plain', 5, '1');
INSERT INTO document_chunks (document_id, project, position, content) VALUES ('00000000-0000-4000-8000-000000000002', 'viejo', 0, 'hola');`);
    // Not usable as it is: the service reads chat_api.
    expect(await pendingMigrations(db)).toEqual(MIGRATION_IDS);

    // Moved, then only what the previous version did not have is applied.
    expect(await migrate(db)).toEqual(MIGRATION_IDS.filter((id) => id >= '0008'));
    expect(await tablesIn(db, 'public')).toEqual(['orders']);
    expect(await tablesIn(db, 'chat_api')).toEqual(OURS);
    expect(await pendingMigrations(db)).toEqual([]);
    expect(await db.query('SELECT id FROM chat_api.schema_migrations ORDER BY id')).toEqual(MIGRATION_IDS.map((id) => ({ id })));
    // Rows moved with their tables; identities keep counting; keys follow the tables.
    const s = services()(db);
    expect((await s.projects.existing('viejo')).displayName).toBe('Viejo');
    const [conversation] = (await s.conversations.list('1')).conversations;
    expect(conversation?.id).toBe('00000000-0000-4000-8000-000000000001');
    await db.query("INSERT INTO chat_api.messages (conversation_id, role, content) VALUES ('00000000-0000-4000-8000-000000000001', 'assistant', '1')");
    expect(await db.query('SELECT id::int AS id FROM chat_api.messages ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await db.query('SELECT count(*)::int AS n FROM chat_api.document_chunks')).toEqual([{ n: 1 }]);
    // public.orders stays, with its row-level security, and its foreign key now names chat_api.projects.
    const [orders] = await db.query<{ fk: string; forced: boolean; policies: number }>(
      `SELECT (SELECT confrelid::regclass::text FROM pg_constraint WHERE conrelid = 'public.orders'::regclass AND contype = 'f') AS fk,
              (SELECT relforcerowsecurity FROM pg_class WHERE oid = 'public.orders'::regclass) AS forced,
              (SELECT count(*)::int FROM pg_policies WHERE schemaname = 'public' AND tablename = 'orders') AS policies`,
    );
    expect(orders).toEqual({ fk: 'chat_api.projects', forced: true, policies: 1 });
    await db.query("DELETE FROM chat_api.projects WHERE slug = 'viejo'");
    expect(await db.query('SELECT count(*)::int AS n FROM public.orders')).toEqual([{ n: 0 }]); // ON DELETE CASCADE still holds

    // The demo seed runs over the moved layout, reusing its orders table.
    await seedDemoData(db);
    expect(await tablesIn(db, 'public')).toEqual(['orders']);
    expect(await migrate(db)).toEqual([]);
  });
});

describe('DATABASE_SCHEMA', () => {
  it('defaults to chat_api and accepts a lower-case identifier', () => {
    expect(parseConfig({}).DATABASE_SCHEMA).toBe('chat_api');
    expect(parseConfig({ DATABASE_SCHEMA: ' chat_x1 ' }).DATABASE_SCHEMA).toBe('chat_x1');
  });
  it.each(['public', 'Chat', 'chat-api', '1chat', 'pg_chat', 'information_schema', 'a"b', 'x'.repeat(64)])('refuses %s', (value) => {
    expect(() => parseConfig({ DATABASE_SCHEMA: value })).toThrow(/DATABASE_SCHEMA: must be a lower-case identifier/);
  });
});
