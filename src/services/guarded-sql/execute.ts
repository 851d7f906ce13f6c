import { DatabaseUnavailableError, type Database, type Row, type Transaction } from '../../adapters/db/database.js';
import { cutToBytes, overBytes } from '../bytes.js';
import { checkSql, guardedStatement, type SqlAllowList } from './guard.js';
import { GUARDED_SQL_ROLE, TENANT_POLICY, TENANT_SETTING } from './model-access.js';
import type { SqlParser } from './parser.js';

const DEFAULT_ROW_LIMIT = 200;
const DEFAULT_TIMEOUT_MS = 2_000;
/** GUARDED_SQL_MAX_BYTES: the rows' JSON size (row_to_json), summed, that may reach the process. */
export const DEFAULT_MAX_BYTES = 262_144;
/** GUARDED_SQL_MAX_VALUE_BYTES: one value (a string, or an array's JSON) longer than this is cut. */
export const DEFAULT_MAX_VALUE_BYTES = 4_096;
/** The bookkeeping columns the bounded statement adds after the query's own (removed from the rows). */
const ROWS_COLUMN = '__guarded_rows';
const BYTES_COLUMN = '__guarded_bytes';
/**
 * The planner cost above which PGlite refuses a query (GUARDED_SQL_MAX_COST). Measured on the
 * demo data (3,300 orders; README "Safety model for model-written SQL"): ordinary questions
 * cost about 100, a join of orders with itself across projects ~79,000, a three-way cartesian
 * join ~143,000,000. 1,000,000 admits the first with a margin of 10,000 and refuses the last.
 */
export const DEFAULT_MAX_COST = 1_000_000;
/**
 * A query whose planner estimate of its rows' size (the row-limited statement's rows × their
 * average width) is more than this many times GUARDED_SQL_MAX_BYTES is refused before it runs:
 * most of what it would build could never be sent. Far above, because widths are estimates
 * (unknown text counts 32 bytes): only the obviously huge are refused, such as a cast to
 * char(1000000), which pads every value to a million characters.
 */
const ESTIMATED_BYTES_FACTOR = 64;
/**
 * On PostgreSQL, where statement_timeout holds, a plan costing more than this is refused before it
 * runs instead of being cancelled at its timeout: measured on the demo data, a cost of ~143,000,000
 * ran 50 s, so this is hours, beyond any GUARDED_SQL_TIMEOUT_MS (at most 60 s) on any machine.
 */
const ABSURD_COST = 10_000_000_000;
/**
 * Refused on PGlite only: a regular expression match is priced like `=` by the planner and
 * nothing can cancel it there, so the cost cap says nothing about it. LIKE stays allowed.
 */
const EMBEDDED_DENIED_OPERATORS = ['~', '~*', '!~', '!~*'];

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
  /**
   * The tenant value of the request's verified project (its model's tenancy compares with it);
   * set by the server as the chat.tenant setting, never read from `sql`.
   */
  tenant: string;
  /** PostgreSQL's parser: `await loadSqlParser()` from ./load-parser.ts on Node, Bun and Deno. */
  parser: SqlParser;
  /** At most this many rows come back (1..10000, default 200). */
  rowLimit?: number;
  /**
   * statement_timeout for the query (1..60000 ms, default 2000). Keep it below the adapter's
   * own client timeout (DATABASE_STATEMENT_TIMEOUT_MS + 1 s) so that the server cancels first.
   */
  timeoutMs?: number;
  /**
   * On a database that cannot time a statement out (PGlite): the highest planner cost (EXPLAIN's
   * "Total Cost", of any node of the plan) a query may have; above it the query is refused
   * without running. Where statement_timeout holds, only a plan costing hours (ABSURD_COST) is
   * refused before it runs; the timeout cancels the rest. Default 1,000,000.
   */
  maxCost?: number;
  /**
   * At most this many bytes of rows (each row's JSON, row_to_json, summed) reach the
   * process: PostgreSQL itself stops at the first row past it, so a megabyte value is never
   * sent. 1 KiB..16 MiB, default 256 KiB.
   */
  maxBytes?: number;
  /** A string value (or an array's or object's JSON) longer than this many bytes is cut (16..1 MiB, default 4 KiB). */
  maxValueBytes?: number;
  /** What the query may read: the project's model's tables and exposed columns (guardedAccessFor). */
  allow: SqlAllowList;
  /** The allow-listed tables scoped to the tenant (`schema.table`): each must carry the tenant policy. */
  scoped: readonly string[];
};

export type GuardedSqlResult = {
  /** At most rowLimit rows, as the driver returns them. */
  rows: Row[];
  /** True when the query had more rows than came back, or a value was cut. */
  truncated: boolean;
  /**
   * Which caps applied, by setting name: GUARDED_SQL_ROW_LIMIT (more rows than the row
   * limit), GUARDED_SQL_MAX_BYTES (rows left out past the byte cap), GUARDED_SQL_MAX_VALUE_BYTES
   * (values cut). Empty when nothing was left out.
   */
  truncatedBy: TruncationCap[];
  /** The statement as checked and run (inside the row-limiting wrapper). */
  sql: string;
};

export type TruncationCap = 'GUARDED_SQL_ROW_LIMIT' | 'GUARDED_SQL_MAX_BYTES' | 'GUARDED_SQL_MAX_VALUE_BYTES';

/**
 * The statement that runs: the checked, row-limited statement (guardedStatement, `rowLimit`) in a
 * wrapper that sums the rows' JSON size in PostgreSQL and keeps only the rows whose running
 * total stays within `maxBytes`. The rows past it are computed by the server but never sent.
 * Every result has at least one row: its ROWS_COLUMN says how many rows the query had (up to
 * `rowLimit`); when no row fits, the one row has only nulls and a null BYTES_COLUMN. The limits
 * are numbers in the text, not parameters, so that the plan is made once, with their values
 * (runGuardedSql prepares it).
 */
export function boundedStatement(normalized: string, rowLimit: number, maxBytes: number): string {
  if (!Number.isSafeInteger(maxBytes)) throw new RangeError('maxBytes must be an integer');
  return `WITH guarded_rows AS MATERIALIZED (
  SELECT g, sum(octet_length(row_to_json(g)::text)) OVER (ROWS UNBOUNDED PRECEDING) AS running FROM (
${guardedStatement(normalized, rowLimit)}
  ) AS g
)
SELECT (kept.g).*, counted.n AS ${ROWS_COLUMN}, kept.running AS ${BYTES_COLUMN}
  FROM (SELECT count(*) AS n FROM guarded_rows) AS counted
  LEFT JOIN guarded_rows AS kept ON kept.running <= ${maxBytes}
 ORDER BY kept.running`;
}

/** A tenant value: what a project's tenant column holds (an id, a slug), never SQL. */
const MAX_TENANT_CHARS = 200;

/**
 * Why `db` cannot run guarded SQL, or undefined when its adapter can. Every adapter with
 * transactions can: where statement_timeout does not hold (PGlite) a cost cap stands in for it.
 */
export function guardedSqlUnsupported(db: Database): string | undefined {
  if (!db.transaction) return 'this database adapter has no transactions';
  return undefined;
}

/** PGlite never fires statement_timeout: a runaway query would block the whole process. */
const cannotTimeOut = (db: Database) => db.enforcesStatementTimeout !== true;

/**
 * Runs one model-written query for `tenant`, or throws GuardedSqlRefusal. The query is
 * checked first (a refused query never reaches the database), then runs in one read-only
 * transaction on one connection, always rolled back:
 *
 *   BEGIN READ ONLY
 *   (check: chat_sql_reader exists, is no superuser, cannot bypass RLS and is a member of no role;
 *    every tenant-scoped table has RLS on, its chat_tenant_isolation policy and no other permissive one)
 *   SET LOCAL ROLE chat_sql_reader                    -- SELECT on the allow-listed columns only
 *   SELECT set_config('statement_timeout', $1, true), set_config('chat.tenant', $2, true),
 *          set_config('search_path', 'pg_catalog, public, pg_temp', true)
 *   SAVEPOINT; PREPARE guarded_… AS <query> LIMIT rowLimit + 1, in boundedStatement
 *   EXPLAIN (FORMAT JSON) EXECUTE guarded_…           -- refused when obviously huge or costly
 *   EXECUTE guarded_…                                 -- rows past GUARDED_SQL_MAX_BYTES never sent
 *   DEALLOCATE guarded_…                              -- after ROLLBACK TO SAVEPOINT on an error
 *   ROLLBACK
 *
 * The checker, the role's grants and row-level security are the boundary; the read-only
 * transaction is defence in depth only (SQL could switch it to READ WRITE; the checker
 * refuses any such statement or set_config call). Connection failures surface as the adapter's
 * DatabaseUnavailableError, as for any other query.
 */
export async function runGuardedSql(db: Database, options: GuardedSqlOptions): Promise<GuardedSqlResult> {
  const {
    sql, tenant, parser, rowLimit = DEFAULT_ROW_LIMIT, timeoutMs = DEFAULT_TIMEOUT_MS, maxCost = DEFAULT_MAX_COST,
    maxBytes = DEFAULT_MAX_BYTES, maxValueBytes = DEFAULT_MAX_VALUE_BYTES, allow, scoped,
  } = options;
  if (!Number.isInteger(rowLimit) || rowLimit < 1 || rowLimit > 10_000) throw new RangeError('rowLimit must be an integer from 1 to 10000');
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) throw new RangeError('timeoutMs must be an integer from 1 to 60000');
  if (!Number.isInteger(maxCost) || maxCost < 1) throw new RangeError('maxCost must be a positive integer');
  if (!Number.isInteger(maxBytes) || maxBytes < 1_024 || maxBytes > 16_777_216) throw new RangeError('maxBytes must be an integer from 1024 to 16777216');
  if (!Number.isInteger(maxValueBytes) || maxValueBytes < 16 || maxValueBytes > 1_048_576) throw new RangeError('maxValueBytes must be an integer from 16 to 1048576');
  if (typeof tenant !== 'string' || tenant === '' || tenant.length > MAX_TENANT_CHARS) throw new RangeError('tenant must be a project\'s tenant value');

  const capped = cannotTimeOut(db);
  const checked = checkSql(sql, capped ? { ...allow, deniedOperators: [...(allow.deniedOperators ?? []), ...EMBEDDED_DENIED_OPERATORS] } : allow, parser);
  if (!checked.ok) throw new GuardedSqlRefusal('rejected', checked.reason);
  const unsupported = guardedSqlUnsupported(db);
  if (unsupported || !db.transaction) throw new GuardedSqlRefusal('unavailable', unsupported ?? 'no transactions');

  const statement = boundedStatement(checked.normalized, rowLimit + 1, maxBytes);
  const bounded = await db.transaction(
    async (tx) => {
      await enterGuard(tx, scoped, tenant, timeoutMs);
      return runPlanned(tx, statement, timeoutMs, (plan) => refuseByPlan(plan, { maxCost: capped ? maxCost : ABSURD_COST, capped, maxBytes }));
    },
    { readOnly: true, rollback: true },
  );
  const total = Number(bounded[0]?.[ROWS_COLUMN] ?? 0);
  const kept = bounded[0]?.[BYTES_COLUMN] == null ? [] : bounded;
  const rows = kept.slice(0, rowLimit).map(({ [ROWS_COLUMN]: _rows, [BYTES_COLUMN]: _bytes, ...row }) => row);
  const truncatedBy: TruncationCap[] = [];
  if (total > rowLimit) truncatedBy.push('GUARDED_SQL_ROW_LIMIT');
  if (kept.length < Math.min(total, rowLimit)) truncatedBy.push('GUARDED_SQL_MAX_BYTES');
  if (cutValues(rows, maxValueBytes)) truncatedBy.push('GUARDED_SQL_MAX_VALUE_BYTES');
  return { rows, truncated: truncatedBy.length > 0, truncatedBy, sql: checked.normalized };
}

/** Cuts every value of `rows` longer than `max` bytes (in place); whether any was. */
function cutValues(rows: Row[], max: number): boolean {
  let cut = false;
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (typeof value === 'string') {
        if (overBytes(value, max)) {
          row[key] = cutToBytes(value, max);
          cut = true;
        }
      } else if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
        const json = JSON.stringify(value);
        if (overBytes(json, max)) {
          row[key] = cutToBytes(json, max);
          cut = true;
        }
      }
    }
  }
  return cut;
}

/** Verifies the database side of the guard, then becomes the reader for the rest of the transaction. */
async function enterGuard(tx: Transaction, scoped: readonly string[], tenant: string, timeoutMs: number): Promise<void> {
  const problem = await readerProblem(tx, scoped);
  if (problem) throw new GuardedSqlRefusal('unavailable', problem.reason);
  try {
    await tx.query(`SET LOCAL ROLE ${GUARDED_SQL_ROLE}`);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw error;
    throw new GuardedSqlRefusal('unavailable', `model-written SQL is not set up on this database (${firstLine(error)})`, { cause: error });
  }
  await tx.query(
    `SELECT set_config('statement_timeout', $1, true), set_config('${TENANT_SETTING}', $2, true),
            set_config('search_path', 'pg_catalog, public, pg_temp', true)`,
    [String(timeoutMs), tenant],
  );
}

/**
 * Why the database cannot run guarded SQL safely for these tenant-scoped tables (`schema.table`),
 * or undefined: the reader role must exist with no more privileges than it should, and each
 * table must have row-level security on, the tenant policy, and no other permissive SELECT
 * policy that applies to the reader (permissive policies are OR-ed: one would widen it). The
 * reader owns nothing, so "on" is enough: FORCE matters only to a table's owner. `noRole`: the
 * role itself is missing, so nothing else about it can be asked.
 */
export async function readerProblem(db: Pick<Database, 'query'>, scoped: readonly string[]): Promise<{ reason: string; noRole: boolean } | undefined> {
  const [role] = await db.query<{ unsafe: boolean; guarded: string[] }>(
    `SELECT r.rolsuper OR r.rolbypassrls OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) AS unsafe,
            ARRAY(SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname || '.' || c.relname = ANY($2::text[]) AND c.relrowsecurity
                AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = $3)
                AND NOT EXISTS (SELECT 1 FROM pg_policy p
                                 WHERE p.polrelid = c.oid AND p.polpermissive AND p.polcmd IN ('r', '*') AND p.polname <> $3
                                   AND (0 = ANY (p.polroles) OR r.oid = ANY (p.polroles)))) AS guarded
       FROM pg_roles r WHERE r.rolname = $1`,
    [GUARDED_SQL_ROLE, [...scoped], TENANT_POLICY],
  );
  if (!role) return { reason: `model-written SQL is not set up on this database (no role ${GUARDED_SQL_ROLE})`, noRole: true };
  if (role.unsafe) return { reason: `model-written SQL is disabled: the role ${GUARDED_SQL_ROLE} has more privileges than it should`, noRole: false };
  const missing = scoped.filter((table) => !role.guarded.includes(table));
  if (missing.length > 0) {
    return {
      reason: `model-written SQL is disabled: row-level security is not enforced on ${missing.join(', ')} (run the statements of npm run model:check -- FILE --guarded-sql)`,
      noRole: false,
    };
  }
  return undefined;
}

type PlanNode = { 'Node Type'?: unknown; 'Subplan Name'?: unknown; 'Total Cost'?: unknown; 'Plan Rows'?: unknown; 'Plan Width'?: unknown; Plans?: PlanNode[] };

/**
 * Runs `statement` once `refuse` has seen its plan without throwing. The statement is prepared
 * and explained, then executed: it has no parameters, so PostgreSQL plans it once, for EXPLAIN,
 * and the execution reuses that plan (planning a query can itself take long: planning it twice
 * would double that). A prepared statement outlives the transaction, so it is always deallocated,
 * after rolling back to the savepoint when the transaction failed.
 */
async function runPlanned(tx: Transaction, statement: string, timeoutMs: number, refuse: (plan: unknown) => void): Promise<Row[]> {
  const name = `guarded_${crypto.randomUUID().replaceAll('-', '')}`;
  await tx.query('SAVEPOINT guarded_run');
  try {
    await tx.query(`PREPARE ${name} AS ${statement}`);
  } catch (error) {
    throw refusalFor(error, timeoutMs);
  }
  let cleanup: 'deallocate' | 'rollback' | 'none' = 'deallocate';
  try {
    const [plan] = (await tx.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) EXECUTE ${name}`)).map((row) => row['QUERY PLAN']);
    refuse(plan);
    return await tx.query(`EXECUTE ${name}`);
  } catch (error) {
    if (error instanceof GuardedSqlRefusal) throw error;
    // A link that failed (not a statement the server cancelled) is destroyed by the pool, and its
    // statements with it: asking it anything more would only wait for it to time out again.
    cleanup = error instanceof DatabaseUnavailableError && (error.cause as { code?: unknown } | undefined)?.code !== '57014' ? 'none' : 'rollback';
    throw refusalFor(error, timeoutMs);
  } finally {
    if (cleanup === 'rollback') await tx.query('ROLLBACK TO SAVEPOINT guarded_run').catch(() => {});
    if (cleanup !== 'none') await tx.query(`DEALLOCATE ${name}`).catch(() => {});
  }
}

/**
 * Refuses a statement from its plan (EXPLAIN's JSON), before it runs. The plan is made as the
 * reader, under row-level security, so it is the one the query gets. Refused:
 * - when the estimated size of the rows the row-limited query would produce (the LIMIT's rows ×
 *   width in the guarded_rows CTE) is more than ESTIMATED_BYTES_FACTOR × `maxBytes`;
 * - when the plan costs more than `maxCost`: GUARDED_SQL_MAX_COST where statements cannot time
 *   out (PGlite), ABSURD_COST on PostgreSQL. The highest cost of any node is used, not the top
 *   node's: a LIMIT is priced as the fraction of its input it expects to read, and a filter that
 *   matches nothing would make it read all of it.
 */
function refuseByPlan(plans: unknown, limits: { maxCost: number; capped: boolean; maxBytes: number }): void {
  // node-postgres parses the json column; a driver that returns text leaves it to us.
  const parsed: unknown = typeof plans === 'string' ? JSON.parse(plans) : plans;
  const root = Array.isArray(parsed) ? (parsed[0] as { Plan?: PlanNode } | undefined)?.Plan : undefined;
  if (!root) throw new GuardedSqlRefusal('unavailable', 'the database gave no query plan, so the query was not run');
  let cost = 0;
  let rowsNode: PlanNode | undefined;
  const visit = (node: PlanNode, inRows: boolean) => {
    const own = Number(node['Total Cost']);
    // An unreadable cost counts as infinite: the query is refused rather than trusted.
    cost = Math.max(cost, Number.isFinite(own) ? own : Infinity);
    const rows = inRows || node['Subplan Name'] === 'CTE guarded_rows';
    // The first LIMIT inside the CTE is guardedStatement's: the query's rows, before the byte cap.
    if (rows && !rowsNode && node['Node Type'] === 'Limit') rowsNode = node;
    for (const child of node.Plans ?? []) visit(child, rows);
  };
  visit(root, false);
  const estimated = rowsNode ? Number(rowsNode['Plan Rows']) * Number(rowsNode['Plan Width']) : 0;
  if (!(estimated <= limits.maxBytes * ESTIMATED_BYTES_FACTOR)) {
    const shown = Number.isFinite(estimated) ? `about ${Math.round(estimated / 1_048_576)} MiB` : 'an unknown amount';
    throw new GuardedSqlRefusal('rejected', `the query would build ${shown} of rows, far more than can be sent (GUARDED_SQL_MAX_BYTES)`);
  }
  if (cost > limits.maxCost) {
    const shown = Number.isFinite(cost) ? String(Math.round(cost)) : 'an unknown amount';
    throw new GuardedSqlRefusal(
      'rejected',
      limits.capped
        ? `the query would cost ${shown}, more than the embedded database allows (GUARDED_SQL_MAX_COST)`
        : `the query would cost ${shown}, far more than could finish in time`,
    );
  }
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
