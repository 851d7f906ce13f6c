import type { Database } from './database.js';

/**
 * Schema owned by the service, applied in order. Kept as code rather than files so that
 * the same list runs on Workers, Node and Bun without a file system. Never edit an applied
 * migration: add a new one.
 */
export const MIGRATIONS: readonly { id: string; sql: string }[] = [
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
];

const LOCK_KEY = 727_274_001; // arbitrary, constant: serialises concurrent migrators

/** Applies the migrations that are missing and returns the ids this call applied; safe to run concurrently. */
export async function migrate(db: Database): Promise<string[]> {
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
  for (const migration of MIGRATIONS.filter((m) => !before.has(m.id))) {
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
export async function appliedMigrations(db: Database): Promise<string[]> {
  const rows = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
  return rows.map((row) => row.id);
}

function dollarQuote(sql: string): string {
  if (sql.includes('$body$')) throw new Error('migration text must not contain $body$');
  return `$body$${sql}$body$`;
}

/** Names of migrations the database still needs; empty when it is up to date. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  const [exists] = await db.query<{ present: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
  );
  const applied = new Set(exists?.present ? await appliedMigrations(db) : []);
  return MIGRATIONS.map((m) => m.id).filter((id) => !applied.has(id));
}
