import type { Database } from './database.js';
import { serviceTables, type ServiceTables } from './tables.js';

/**
 * The service's tables in their own schema (tables.ts: DATABASE_SCHEMA), applied in order; every
 * table name is qualified with that schema. Kept as code rather than files so that
 * the same list runs on Workers, Node and Bun without a file system. Never edit an applied
 * migration: add a new one.
 */
export function migrationsFor(t: ServiceTables): readonly { id: string; sql: string }[] {
  return [
  {
    // Named before the demo's orders table moved out to the demo seed (src/adapters/db/seed.ts):
    // databases migrated by earlier versions recorded this id.
    id: '0001_projects_and_orders',
    sql: `
CREATE TABLE ${t.projects} (
  slug text PRIMARY KEY CHECK (slug ~ '^[A-Za-z0-9_-]{1,64}$'),
  display_name text NOT NULL,
  system_prompt text NOT NULL,
  open_to_all boolean NOT NULL DEFAULT true,
  allowed_user_ids text[] NOT NULL DEFAULT '{}',
  enabled_queries text[]
);
COMMENT ON COLUMN ${t.projects}.open_to_all IS 'true: every authenticated user; false: only allowed_user_ids';
COMMENT ON COLUMN ${t.projects}.enabled_queries IS 'catalogue queries this project answers; NULL means all of them';
`,
  },
  {
    id: '0002_conversations',
    sql: `
CREATE TABLE ${t.conversations} (
  id uuid PRIMARY KEY,
  user_id text NOT NULL,
  project text NOT NULL REFERENCES ${t.projects} (slug) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_updated_at_idx ON ${t.conversations} (updated_at);

CREATE TABLE ${t.messages} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES ${t.conversations} (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  content text NOT NULL,
  fuente text,
  consulta text,
  datos jsonb,
  query_call jsonb,
  error text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX messages_conversation_idx ON ${t.messages} (conversation_id, id);
COMMENT ON COLUMN ${t.messages}.query_call IS 'the catalogue query and parameters that answered, for follow-up questions';
COMMENT ON COLUMN ${t.messages}.error IS 'set on an assistant turn that failed: the problem type the client received';
`,
  },
  /*
   * Guarded model-written SQL (src/services/guarded-sql/): PostgreSQL itself, not the query text, keeps a query
   * inside its project.
   *
   * The role is created here. What it may read is per project, from the project's semantic model:
   * the column GRANTs and one row-level-security policy per tenant-scoped table are the statements
   * `npm run model:check -- FILE --guarded-sql` prints (src/services/guarded-sql/model-access.ts),
   * run once by an administrator; the demo seed runs those of models/demo.yaml for public.orders.
   *
   * - chat_sql_reader: a NOLOGIN role with no privilege but those grants. The service's own user
   *   is made a member, so that it can `SET LOCAL ROLE chat_sql_reader` around a model-written
   *   query. Roles are cluster-wide (the tests create many databases on one server; a cluster may
   *   hold several of this service's databases), so creating it is idempotent and tolerates a
   *   concurrent migrator of another database. A user that may not create roles or grant
   *   membership gets a WARNING and the rest of the migration still applies: guarded SQL then
   *   reports itself unavailable (its run-time check fails) instead of stopping the service. To
   *   enable it later, as a privileged user: CREATE ROLE chat_sql_reader NOLOGIN; GRANT
   *   chat_sql_reader TO <service user>; and the printed statements.
   * - The policies (chat_tenant_isolation) are permissive, for every role. Their condition is true
   *   for every role except chat_sql_reader, which sees only the rows of the tenant in
   *   current_setting('chat.tenant'), a setting the server binds per transaction (unset or empty:
   *   no rows). They deliberately test current_user instead of being split into
   *   `TO chat_sql_reader` / `TO PUBLIC` policies: policies apply to every member of their role,
   *   and the service's user is a member of chat_sql_reader (to SET ROLE to it), so a
   *   role-targeted restrictive policy would also restrict the owner's own queries, and a
   *   `TO PUBLIC USING (true)` policy would be OR-ed into the reader's. Testing current_user
   *   restricts exactly one role, whatever the memberships. WITH CHECK refuses every write by the
   *   reader (it has no write grant anyway). Superusers and BYPASSRLS roles skip RLS entirely; the
   *   reader is neither, and owns no table, so FORCE is not needed. src/services/guarded-sql/execute.ts
   *   checks this before each query (and refuses to run if another permissive policy that applies
   *   to the reader is ever added: permissive policies are OR-ed together).
   */
  {
    id: '0003_guarded_sql',
    sql: `
DO $guarded$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chat_sql_reader') THEN
    BEGIN
      CREATE ROLE chat_sql_reader NOLOGIN NOSUPERUSER NOINHERIT NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL; -- another database's migrator created it just now
      WHEN insufficient_privilege THEN
        RAISE WARNING 'chat_sql_reader not created (%): guarded SQL stays unavailable until it exists', SQLERRM;
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chat_sql_reader') THEN
    IF NOT pg_has_role(current_user, 'chat_sql_reader', 'MEMBER') THEN
      BEGIN
        GRANT chat_sql_reader TO CURRENT_USER;
      EXCEPTION
        WHEN duplicate_object OR unique_violation THEN NULL;
        WHEN insufficient_privilege OR invalid_grant_operation THEN
          RAISE WARNING 'chat_sql_reader not granted to % (%): guarded SQL stays unavailable', current_user, SQLERRM;
      END;
    END IF;
  END IF;
END
$guarded$;
`,
  },
  {
    id: '0004_project_guarded_sql',
    sql: `
ALTER TABLE ${t.projects} ADD COLUMN guarded_sql boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN ${t.projects}.guarded_sql IS 'opt-in: the model may write one guarded SELECT over this project''s rows';
`,
  },
  /*
   * Knowledge per project (src/services/knowledge/): uploaded documents, split into passages. Every
   * passage carries its project, bound to its document's by a composite foreign key, so a
   * search filters one column and can never mix projects. `tsv` is full-text search in Spanish
   * (weight A) and English (weight B) at once. `embedding` (pgvector, any dimension) exists only
   * where the extension is available: the local PostgreSQL 15 has none, the embedded PGlite loads
   * it from @electric-sql/pglite-pgvector. Without it (or without the right to create it) the
   * migration still applies and search uses full-text search only.
   */
  {
    id: '0005_documents',
    sql: `
CREATE TABLE ${t.documents} (
  id uuid PRIMARY KEY,
  project text NOT NULL REFERENCES ${t.projects} (slug) ON DELETE CASCADE,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  media_type text NOT NULL CHECK (media_type IN ('text/markdown', 'text/plain')),
  size_bytes integer NOT NULL CHECK (size_bytes >= 0),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, project)
);
CREATE INDEX documents_project_idx ON ${t.documents} (project, created_at DESC);

CREATE TABLE ${t.documentChunks} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id uuid NOT NULL,
  project text NOT NULL,
  position integer NOT NULL CHECK (position >= 0),
  content text NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('spanish'::regconfig, content), 'A') || setweight(to_tsvector('english'::regconfig, content), 'B')
  ) STORED,
  FOREIGN KEY (document_id, project) REFERENCES ${t.documents} (id, project) ON DELETE CASCADE,
  UNIQUE (document_id, position)
);
CREATE INDEX document_chunks_tsv_idx ON ${t.documentChunks} USING gin (tsv);
CREATE INDEX document_chunks_project_idx ON ${t.documentChunks} (project);
COMMENT ON COLUMN ${t.documentChunks}.project IS 'always the document''s project (composite foreign key); every search filters on it';

DO $vector$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS vector;
    EXCEPTION
      WHEN insufficient_privilege OR duplicate_object OR unique_violation THEN
        RAISE WARNING 'pgvector not created (%): document search uses full-text search only', SQLERRM;
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
    EXECUTE 'ALTER TABLE ${t.documentChunks} ADD COLUMN embedding vector';
    EXECUTE 'COMMENT ON COLUMN ${t.documentChunks}.embedding IS ''the passage''''s embedding (OPENAI_EMBEDDING_MODEL), NULL when none was configured''';
  END IF;
END
$vector$;
`,
  },
  {
    /**
     * A write whose link dies is retried on a fresh connection (pg-pool.ts) when the pool cannot
     * tell whether the server ran it: each conversation message carries a key chosen by the
     * writer, so a retried write of the same message changes nothing.
     */
    id: '0006_message_keys',
    sql: `
ALTER TABLE ${t.messages} ADD COLUMN write_key uuid;
CREATE UNIQUE INDEX messages_write_key_idx ON ${t.messages} (write_key);
COMMENT ON COLUMN ${t.messages}.write_key IS 'chosen by the writer: a retried insert of the same message is a no-op';
`,
  },
  {
    /**
     * A project's data, declared: its semantic model (validated before it is stored, so a bad
     * model never replaces the last good one) and the tenant value its tenancy filters on.
     */
    id: '0007_project_semantic_models',
    sql: `
ALTER TABLE ${t.projects} ADD COLUMN semantic_model jsonb;
ALTER TABLE ${t.projects} ADD COLUMN tenant text;
COMMENT ON COLUMN ${t.projects}.semantic_model IS 'the project''s semantic model (npm run project:add), validated; NULL: the demo catalogue';
COMMENT ON COLUMN ${t.projects}.tenant IS 'the value the model''s tenancy filters on; NULL: the project''s slug';
`,
  },
  {
    /**
     * The demo's hard-coded query catalogue is gone: every project answers from its semantic
     * model (the demo projects from models/demo.yaml, stored by the seed), so the per-project
     * list of catalogue queries means nothing any more.
     */
    id: '0008_catalogue_removed',
    sql: `
ALTER TABLE ${t.projects} DROP COLUMN IF EXISTS enabled_queries;
COMMENT ON COLUMN ${t.projects}.semantic_model IS 'the project''s semantic model (npm run project:add; the demo''s from npm run db:seed), validated; NULL: no database answers';
`,
  },
  {
    /**
     * No half-written turns: a question is stored together with a pending outcome row, which its
     * answer or failure fills in. A turn whose request died with nothing recorded (a process killed,
     * a database link that hung) is still pending after the request deadline and is swept into a
     * request-timeout failure, in its place right after its question. The partial index keeps the
     * sweep's search to the few pending rows.
     */
    id: '0009_pending_outcomes',
    sql: `
ALTER TABLE ${t.messages} ADD COLUMN pending boolean NOT NULL DEFAULT false;
CREATE INDEX messages_pending_idx ON ${t.messages} (created_at) WHERE pending;
COMMENT ON COLUMN ${t.messages}.pending IS 'an assistant turn whose answer or failure is not recorded yet; swept into a request-timeout failure after the request deadline';
`,
  },
  ];
}

/** Migration ids in order (the same in every schema). */
export const MIGRATION_IDS: readonly string[] = migrationsFor(serviceTables()).map((m) => m.id);

const LOCK_KEY = 727_274_001; // arbitrary, constant: serialises concurrent migrators

/**
 * The previous layout: versions before DATABASE_SCHEMA created their tables in public (the first
 * schema of the default search_path) and recorded them in public.schema_migrations. Such a
 * database is moved, table by table, into the service's schema: only the tables that the recorded
 * migrations created, so a user's own table of the same name is never touched, and only when
 * public.schema_migrations is ours (our columns, our first migration's id) — Rails, for one, has a
 * schema_migrations table of its own. The demo's orders stays in public: it is user data (its
 * foreign key follows projects into the new schema, as foreign keys name tables, not paths).
 * Runs under the migration lock, before the schema's own bookkeeping table exists: once that
 * exists the move has happened (or there was nothing to move).
 */
function moveLegacyLayout(t: ServiceTables): string {
  const move = (table: string) => `ALTER TABLE public.${table} SET SCHEMA ${t.schema};`;
  return `DO $legacy$
DECLARE
  applied text[];
BEGIN
  IF to_regclass('${t.schemaMigrations}') IS NOT NULL THEN RETURN; END IF;
  IF (SELECT count(*) FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = 'schema_migrations' AND column_name IN ('id', 'applied_at', 'run_id')) <> 3 THEN
    RETURN;
  END IF;
  SELECT array_agg(id::text) INTO applied FROM public.schema_migrations;
  IF applied IS NULL OR NOT ('0001_projects_and_orders' = ANY (applied)) THEN RETURN; END IF;
  ${move('projects')}
  IF '0002_conversations' = ANY (applied) THEN
    ${move('conversations')}
    ${move('messages')}
  END IF;
  IF '0005_documents' = ANY (applied) THEN
    ${move('documents')}
    ${move('document_chunks')}
  END IF;
  ${move('schema_migrations')}
END
$legacy$;`;
}

/**
 * Applies the migrations that are missing in the service's schema (default chat_api) and returns
 * the ids this call applied; safe to run concurrently. A database laid out by an earlier version
 * (our tables in public) is moved into the schema first.
 */
export async function migrate(db: Database, t: ServiceTables = serviceTables()): Promise<string[]> {
  await db.exec(`BEGIN;
SELECT pg_advisory_xact_lock(${LOCK_KEY});
CREATE SCHEMA IF NOT EXISTS ${t.schema};
${moveLegacyLayout(t)}
CREATE TABLE IF NOT EXISTS ${t.schemaMigrations} (
  id text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now(),
  run_id text
);
COMMIT;`);
  const before = new Set(await appliedMigrations(db, t));
  // Marks this call's rows, so that a concurrent migrator's work is not reported as ours.
  const runId = crypto.randomUUID();
  for (const migration of migrationsFor(t).filter((m) => !before.has(m.id))) {
    // The migration and its bookkeeping row commit together, under the lock, or not at all;
    // the re-check inside the lock makes a concurrent migrator skip what another one applied.
    await db.exec(`BEGIN;
SELECT pg_advisory_xact_lock(${LOCK_KEY});
DO $migrate$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM ${t.schemaMigrations} WHERE id = '${migration.id}') THEN
    EXECUTE ${dollarQuote(migration.sql)};
    INSERT INTO ${t.schemaMigrations} (id, run_id) VALUES ('${migration.id}', '${runId}');
  END IF;
END $migrate$;
COMMIT;`);
  }
  const mine = await db.query<{ id: string }>(`SELECT id FROM ${t.schemaMigrations} WHERE run_id = $1 ORDER BY id`, [runId]);
  return mine.map((row) => row.id);
}

/** Names of the migrations recorded as applied in the service's schema. */
export async function appliedMigrations(db: Database, t: ServiceTables = serviceTables()): Promise<string[]> {
  const rows = await db.query<{ id: string }>(`SELECT id FROM ${t.schemaMigrations} ORDER BY id`);
  return rows.map((row) => row.id);
}

function dollarQuote(sql: string): string {
  if (sql.includes('$body$')) throw new Error('migration text must not contain $body$');
  return `$body$${sql}$body$`;
}

/**
 * Names of migrations the database still needs; empty when it is up to date. A database still in
 * the previous layout (our tables in public) needs them all: migrating moves it.
 */
export async function pendingMigrations(db: Database, t: ServiceTables = serviceTables()): Promise<string[]> {
  const [exists] = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [t.schemaMigrations]);
  const applied = new Set(exists?.present ? await appliedMigrations(db, t) : []);
  return MIGRATION_IDS.filter((id) => !applied.has(id));
}
