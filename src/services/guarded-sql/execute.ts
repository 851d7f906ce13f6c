import { DatabaseUnavailableError, type Database, type Row, type Transaction } from '../../adapters/db/database.js';
import { checkSql, GUARDED_SQL_ALLOW, guardedStatement, type SqlAllowList } from './guard.js';
import type { SqlParser } from './parser.js';

/** The role model-written SQL runs as (migration 0003_guarded_sql). */
const GUARDED_SQL_ROLE = 'chat_sql_reader';

const DEFAULT_ROW_LIMIT = 200;
const DEFAULT_TIMEOUT_MS = 2_000;

/**
 * Why a model-written query was not answered:
 * - `rejected`: the checker refused it; nothing was sent to the database;
 * - `timeout`: it ran past its statement timeout and PostgreSQL cancelled it;
 * - `unavailable`: this database or adapter cannot run guarded SQL (embedded PGlite, the role
 *   or row-level security missing); nothing of the query was run;
 * - `failed`: PostgreSQL refused it while running it (unknown column, permission denied, a
 *   division by zero, …).
 * `reason` is short English that can be shown to the user or given back to the model.
 */
export class GuardedSqlRefusal extends Error {
  override name = 'GuardedSqlRefusal';
  constructor(
    readonly kind: 'rejected' | 'timeout' | 'unavailable' | 'failed',
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

export type GuardedSqlOptions = {
  /** The model's query: one SELECT. */
  sql: string;
  /** The verified project of the request; bound as a parameter, never read from `sql`. */
  project: string;
  /** PostgreSQL's parser: `await loadSqlParser()` from ./load-parser.ts on Node, Bun and Deno. */
  parser: SqlParser;
  /** At most this many rows come back (1..10000, default 200). */
  rowLimit?: number;
  /**
   * statement_timeout for the query (1..60000 ms, default 2000). Keep it below the adapter's
   * own client timeout (DATABASE_STATEMENT_TIMEOUT_MS + 1 s) so that the server cancels first.
   */
  timeoutMs?: number;
  /** Defaults to GUARDED_SQL_ALLOW; every table in it must have row-level security forced. */
  allow?: SqlAllowList;
};

export type GuardedSqlResult = {
  /** At most rowLimit rows, as the driver returns them. */
  rows: Row[];
  /** True when the query had more rows than rowLimit. */
  truncated: boolean;
  /** The statement as checked and run (inside the row-limiting wrapper). */
  sql: string;
};

const PROJECT = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Why `db` cannot run guarded SQL, or undefined when its adapter can. PGlite cannot: it never
 * fires statement_timeout, and a runaway query would block the whole process.
 */
export function guardedSqlUnsupported(db: Database): string | undefined {
  if (!db.transaction) return 'this database adapter has no transactions';
  if (db.enforcesStatementTimeout !== true) return 'the embedded database cannot stop a slow query, so model-written SQL is disabled on it';
  return undefined;
}

/**
 * Runs one model-written query for `project`, or throws GuardedSqlRefusal. The query is
 * checked first (a refused query never reaches the database), then runs in one read-only
 * transaction on one connection, always rolled back:
 *
 *   BEGIN READ ONLY
 *   (check: chat_sql_reader exists, is no superuser, cannot bypass RLS and is a member of no role;
 *    every table has RLS forced, its <table>_project_isolation policy and no other permissive one)
 *   SET LOCAL ROLE chat_sql_reader                    -- SELECT on the allow-listed columns only
 *   SELECT set_config('statement_timeout', $1, true), set_config('chat.project', $2, true),
 *          set_config('search_path', 'pg_catalog, public, pg_temp', true)
 *   SELECT * FROM (<query>) AS guarded LIMIT $1       -- rowLimit + 1, to see truncation
 *   ROLLBACK
 *
 * The checker, the role's grants and row-level security are the boundary; the read-only
 * transaction is defence in depth only (SQL could switch it to READ WRITE; the checker
 * refuses any such statement or set_config call). Connection failures surface as the adapter's
 * DatabaseUnavailableError, as for any other query.
 */
export async function runGuardedSql(db: Database, options: GuardedSqlOptions): Promise<GuardedSqlResult> {
  const { sql, project, parser, rowLimit = DEFAULT_ROW_LIMIT, timeoutMs = DEFAULT_TIMEOUT_MS, allow = GUARDED_SQL_ALLOW } = options;
  if (!Number.isInteger(rowLimit) || rowLimit < 1 || rowLimit > 10_000) throw new RangeError('rowLimit must be an integer from 1 to 10000');
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) throw new RangeError('timeoutMs must be an integer from 1 to 60000');
  if (typeof project !== 'string' || !PROJECT.test(project)) throw new RangeError('project must be a project slug');

  const checked = checkSql(sql, allow, parser);
  if (!checked.ok) throw new GuardedSqlRefusal('rejected', checked.reason);
  const unsupported = guardedSqlUnsupported(db);
  if (unsupported || !db.transaction) throw new GuardedSqlRefusal('unavailable', unsupported ?? 'no transactions');

  const statement = guardedStatement(checked.normalized);
  const rows = await db.transaction(
    async (tx) => {
      await enterGuard(tx, Object.keys(allow.tables), project, timeoutMs);
      try {
        return await tx.query(statement, [rowLimit + 1]);
      } catch (error) {
        throw refusalFor(error, timeoutMs);
      }
    },
    { readOnly: true, rollback: true },
  );
  return { rows: rows.slice(0, rowLimit), truncated: rows.length > rowLimit, sql: checked.normalized };
}

/** Verifies the database side of the guard, then becomes the reader for the rest of the transaction. */
async function enterGuard(tx: Transaction, tables: string[], project: string, timeoutMs: number): Promise<void> {
  // Each table needs RLS forced, its <table>_project_isolation policy, and no other permissive
  // SELECT policy that applies to the reader (permissive policies are OR-ed: one would widen it).
  const [role] = await tx.query<{ unsafe: boolean; guarded: number }>(
    `SELECT r.rolsuper OR r.rolbypassrls OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) AS unsafe,
            (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relname = ANY($2::text[]) AND c.relrowsecurity AND c.relforcerowsecurity
                AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = c.relname || '_project_isolation')
                AND NOT EXISTS (SELECT 1 FROM pg_policy p
                                 WHERE p.polrelid = c.oid AND p.polpermissive AND p.polcmd IN ('r', '*')
                                   AND p.polname <> c.relname || '_project_isolation'
                                   AND (0 = ANY (p.polroles) OR r.oid = ANY (p.polroles)))) AS guarded
       FROM pg_roles r WHERE r.rolname = $1`,
    [GUARDED_SQL_ROLE, tables],
  );
  if (!role) throw new GuardedSqlRefusal('unavailable', `model-written SQL is not set up on this database (no role ${GUARDED_SQL_ROLE})`);
  if (role.unsafe) throw new GuardedSqlRefusal('unavailable', `model-written SQL is disabled: the role ${GUARDED_SQL_ROLE} has more privileges than it should`);
  if (role.guarded !== tables.length) throw new GuardedSqlRefusal('unavailable', 'model-written SQL is disabled: row-level security is not enforced on its tables');
  try {
    await tx.query(`SET LOCAL ROLE ${GUARDED_SQL_ROLE}`);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw error;
    throw new GuardedSqlRefusal('unavailable', `model-written SQL is not set up on this database (${firstLine(error)})`, { cause: error });
  }
  await tx.query(
    `SELECT set_config('statement_timeout', $1, true), set_config('chat.project', $2, true),
            set_config('search_path', 'pg_catalog, public, pg_temp', true)`,
    [String(timeoutMs), project],
  );
}

/** What a failure of the query itself means for the caller. */
function refusalFor(error: unknown, timeoutMs: number): unknown {
  if (error instanceof DatabaseUnavailableError) {
    return error.kind === 'timeout'
      ? new GuardedSqlRefusal('timeout', `the query ran longer than ${timeoutMs} ms and was cancelled`, { cause: error })
      : error;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '57014') return new GuardedSqlRefusal('timeout', `the query ran longer than ${timeoutMs} ms and was cancelled`, { cause: error });
  // A PostgreSQL error (SQLSTATE): the query was wrong or not permitted.
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return new GuardedSqlRefusal('failed', `PostgreSQL refused the query: ${firstLine(error)}`, { cause: error });
  }
  return error;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 300);
}
