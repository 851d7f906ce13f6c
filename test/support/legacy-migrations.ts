/**
 * The previous version's migrations, verbatim (commit 6366da5): the service's tables in the
 * search_path's first schema (public), recorded in public.schema_migrations. Only for the test
 * that migrates such a database to the current layout; never used by the service.
 */
import type { Database } from '../../src/adapters/db/database.js';

/**
 * Schema owned by the service, applied in order. Kept as code rather than files so that
 * the same list runs on Workers, Node and Bun without a file system. Never edit an applied
 * migration: add a new one.
 */
export const LEGACY_MIGRATIONS: readonly { id: string; sql: string }[] = [
  {
    id: '0001_projects_and_orders',
    sql: `
CREATE TABLE projects (
  slug text PRIMARY KEY CHECK (slug ~ '^[A-Za-z0-9_-]{1,64}$'),
  display_name text NOT NULL,
  system_prompt text NOT NULL,
  open_to_all boolean NOT NULL DEFAULT true,
  allowed_user_ids text[] NOT NULL DEFAULT '{}',
  enabled_queries text[]
);
COMMENT ON COLUMN projects.open_to_all IS 'true: every authenticated user; false: only allowed_user_ids';
COMMENT ON COLUMN projects.enabled_queries IS 'catalogue queries this project answers; NULL means all of them';

CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project text NOT NULL REFERENCES projects (slug) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('pending', 'shipped', 'delivered', 'cancelled')),
  amount numeric(12, 2) NOT NULL CHECK (amount >= 0),
  customer text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_project_status_idx ON orders (project, status);
CREATE INDEX orders_project_created_at_idx ON orders (project, created_at DESC);
`,
  },
  {
    id: '0002_conversations',
    sql: `
CREATE TABLE conversations (
  id uuid PRIMARY KEY,
  user_id text NOT NULL,
  project text NOT NULL REFERENCES projects (slug) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_updated_at_idx ON conversations (updated_at);

CREATE TABLE messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  content text NOT NULL,
  fuente text,
  consulta text,
  datos jsonb,
  query_call jsonb,
  error text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
COMMENT ON COLUMN messages.query_call IS 'the catalogue query and parameters that answered, for follow-up questions';
COMMENT ON COLUMN messages.error IS 'set on an assistant turn that failed: the problem type the client received';
`,
  },
  /*
   * Guarded model-written SQL (src/services/guarded-sql/): PostgreSQL itself, not the query text, keeps a query
   * inside its project.
   *
   * - chat_sql_reader: a NOLOGIN role with SELECT on the listed columns of orders and nothing
   *   else. The service's own user is made a member, so that it can `SET LOCAL ROLE
   *   chat_sql_reader` around a model-written query. Roles are cluster-wide (the tests create
   *   many databases on one server; a cluster may hold several of this service's databases), so
   *   creating it is idempotent and tolerates a concurrent migrator of another database. A user
   *   that may not create roles or grant membership gets a WARNING and the rest of the
   *   migration still applies: guarded SQL then reports itself unavailable (its run-time check
   *   fails) instead of stopping the service. To enable it later, as a privileged user:
   *   CREATE ROLE chat_sql_reader NOLOGIN; GRANT chat_sql_reader TO <service user>; and the GRANT
   *   SELECT below.
   * - Row-level security on orders, FORCEd so that it applies to the table owner too, with ONE
   *   permissive policy for every role. Its condition is true for every role except
   *   chat_sql_reader, which sees only the rows of current_setting('chat.project'), a setting
   *   the server binds per transaction (unset or empty: no rows). It deliberately tests
   *   current_user instead of being split into `TO chat_sql_reader` / `TO PUBLIC` policies:
   *   policies apply to every member of their role, and the service's user is a member of
   *   chat_sql_reader (to SET ROLE to it), so a role-targeted restrictive policy would also
   *   restrict the owner's catalogue queries, and a `TO PUBLIC USING (true)` policy would be
   *   OR-ed into the reader's. Testing current_user restricts exactly one role, whatever the
   *   memberships, and the policy names no role, so it applies even where the role could not be
   *   created. WITH CHECK refuses every write by the reader (it has no write grant anyway).
   *   Superusers and BYPASSRLS roles skip RLS entirely; the reader is neither. src/services/guarded-sql/execute.ts
   *   checks all this before each query (and refuses to run if another permissive policy that
   *   applies to the reader is ever added to orders: permissive policies are OR-ed together).
   * - Adding a column to orders: add it to the GRANT (new migration) and to GUARDED_SQL_ALLOW,
   *   else `SELECT *` by the reader fails with "permission denied" (it never sees the column).
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
    GRANT SELECT (id, project, status, amount, customer, created_at) ON orders TO chat_sql_reader;
  END IF;
END
$guarded$;

ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_project_isolation ON orders AS PERMISSIVE FOR ALL TO PUBLIC
  USING (current_user <> 'chat_sql_reader' OR project = current_setting('chat.project', true))
  WITH CHECK (current_user <> 'chat_sql_reader');
COMMENT ON POLICY orders_project_isolation ON orders IS
  'chat_sql_reader (guarded model-written SQL) sees only the rows of the project in the chat.project setting; every other role is unrestricted';
`,
  },
  {
    id: '0004_project_guarded_sql',
    sql: `
ALTER TABLE projects ADD COLUMN guarded_sql boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN projects.guarded_sql IS 'opt-in: the model may write one guarded SELECT over this project''s rows';
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
CREATE TABLE documents (
  id uuid PRIMARY KEY,
  project text NOT NULL REFERENCES projects (slug) ON DELETE CASCADE,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  media_type text NOT NULL CHECK (media_type IN ('text/markdown', 'text/plain')),
  size_bytes integer NOT NULL CHECK (size_bytes >= 0),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, project)
);
CREATE INDEX documents_project_idx ON documents (project, created_at DESC);

CREATE TABLE document_chunks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id uuid NOT NULL,
  project text NOT NULL,
  position integer NOT NULL CHECK (position >= 0),
  content text NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('spanish'::regconfig, content), 'A') || setweight(to_tsvector('english'::regconfig, content), 'B')
  ) STORED,
  FOREIGN KEY (document_id, project) REFERENCES documents (id, project) ON DELETE CASCADE,
  UNIQUE (document_id, position)
);
CREATE INDEX document_chunks_tsv_idx ON document_chunks USING gin (tsv);
CREATE INDEX document_chunks_project_idx ON document_chunks (project);
COMMENT ON COLUMN document_chunks.project IS 'always the document''s project (composite foreign key); every search filters on it';

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
    EXECUTE 'ALTER TABLE document_chunks ADD COLUMN embedding vector';
    EXECUTE 'COMMENT ON COLUMN document_chunks.embedding IS ''the passage''''s embedding (OPENAI_EMBEDDING_MODEL), NULL when none was configured''';
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
ALTER TABLE messages ADD COLUMN write_key uuid;
CREATE UNIQUE INDEX messages_write_key_idx ON messages (write_key);
COMMENT ON COLUMN messages.write_key IS 'chosen by the writer: a retried insert of the same message is a no-op';
`,
  },
  {
    /**
     * A project's data, declared: its semantic model (validated before it is stored, so a bad
     * model never replaces the last good one) and the tenant value its tenancy filters on.
     */
    id: '0007_project_semantic_models',
    sql: `
ALTER TABLE projects ADD COLUMN semantic_model jsonb;
ALTER TABLE projects ADD COLUMN tenant text;
COMMENT ON COLUMN projects.semantic_model IS 'the project''s semantic model (npm run project:add), validated; NULL: the demo catalogue';
COMMENT ON COLUMN projects.tenant IS 'the value the model''s tenancy filters on; NULL: the project''s slug';
`,
  },
];

const LOCK_KEY = 727_274_001; // arbitrary, constant: serialises concurrent migrators

/** Applies the migrations that are missing and returns the ids this call applied; safe to run concurrently. */
export async function migrateLegacy(db: Database): Promise<string[]> {
  await db.exec(`BEGIN;
SELECT pg_advisory_xact_lock(${LOCK_KEY});
CREATE TABLE IF NOT EXISTS schema_migrations (
  id text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now(),
  run_id text
);
COMMIT;`);
  const before = new Set(await appliedMigrations(db));
  // Marks this call's rows, so that a concurrent migrator's work is not reported as ours.
  const runId = crypto.randomUUID();
  for (const migration of LEGACY_MIGRATIONS.filter((m) => !before.has(m.id))) {
    // The migration and its bookkeeping row commit together, under the lock, or not at all;
    // the re-check inside the lock makes a concurrent migrator skip what another one applied.
    await db.exec(`BEGIN;
SELECT pg_advisory_xact_lock(${LOCK_KEY});
DO $migrate$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM schema_migrations WHERE id = '${migration.id}') THEN
    EXECUTE ${dollarQuote(migration.sql)};
    INSERT INTO schema_migrations (id, run_id) VALUES ('${migration.id}', '${runId}');
  END IF;
END $migrate$;
COMMIT;`);
  }
  const mine = await db.query<{ id: string }>('SELECT id FROM schema_migrations WHERE run_id = $1 ORDER BY id', [runId]);
  return mine.map((row) => row.id);
}

/** Names of the migrations recorded as applied. */
async function appliedMigrations(db: Database): Promise<string[]> {
  const rows = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
  return rows.map((row) => row.id);
}

function dollarQuote(sql: string): string {
  if (sql.includes('$body$')) throw new Error('migration text must not contain $body$');
  return `$body$${sql}$body$`;
}
