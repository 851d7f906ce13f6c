import fc from 'fast-check';
import { expect } from 'vitest';
import type { Row } from '../../src/adapters/db/database.js';
import { DEMO_PROJECTS } from '../../src/adapters/db/seed.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_VALUE_BYTES, type GuardedSqlRefusal, type GuardedSqlResult, type TruncationCap } from '../../src/services/guarded-sql/execute.js';

/**
 * Model-written SQL an attacker would make the model send, with what must happen to each: run
 * directly (test/sql-guard.pg.test.ts) and through the whole chat pipeline (test/guarded-sql.test.ts).
 */
export const PROJECT = 'dashboard_miempresa';
export const OTHER_PROJECTS = DEMO_PROJECTS.map((p) => p.slug).filter((slug) => slug !== PROJECT);
export const OWN_ORDERS = DEMO_PROJECTS.find((p) => p.slug === PROJECT)!.orders;
/** Every case must settle within this, the slow ones included (their timeout is 500 ms). */
export const BOUND_MS = 5_000;

export type Expectation =
  | { refused: GuardedSqlRefusal['kind']; reason?: RegExp }
  /** `mayTimeOut`: a heavy but legitimate query that a loaded machine may cancel at its timeout instead; as safe. */
  | { rows: (rows: Row[], result: GuardedSqlResult) => void; mayTimeOut?: true };

/**
 * The same expectation on the embedded PGlite, which cannot time a query out: what PostgreSQL
 * would cancel must instead be refused by the cost cap, before it runs.
 */
export function onEmbedded(expectation: Expectation): Expectation {
  return 'refused' in expectation && expectation.refused === 'timeout' ? { refused: 'rejected', reason: /GUARDED_SQL_MAX_COST/ } : expectation;
}

const refused = (reason?: RegExp): Expectation => ({ refused: 'rejected', ...(reason ? { reason } : {}) });
const countIs = (n: number): Expectation => ({ rows: (rows) => expect(rows.map((r) => Number(r.n))).toEqual([n]) });
const ownRowsOnly: Expectation = {
  rows: (rows) => {
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.project).toBe(PROJECT);
  },
};

const utf8 = new TextEncoder();

/**
 * What must hold for a query written to produce as many bytes as it can: whatever came back fits
 * the byte caps (GUARDED_SQL_MAX_BYTES over the rows' JSON, GUARDED_SQL_MAX_VALUE_BYTES per value,
 * at their defaults), and the result says which caps left something out.
 */
const bytesBounded = (...caps: TruncationCap[]): Expectation => ({
  rows: (rows, result) => {
    // The driver's JSON may differ a little from PostgreSQL's (numbers as strings, dates): a margin.
    expect(utf8.encode(JSON.stringify(rows)).length).toBeLessThanOrEqual(DEFAULT_MAX_BYTES + 16_384);
    for (const row of rows) {
      for (const value of Object.values(row)) {
        const text = typeof value === 'string' ? value : value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : '';
        expect(utf8.encode(text).length).toBeLessThanOrEqual(DEFAULT_MAX_VALUE_BYTES + 2);
      }
    }
    expect(result.truncated).toBe(true);
    for (const cap of caps) expect(result.truncatedBy).toContain(cap);
  },
});

/** `levels` CTEs, each concatenating the previous one's text `factor` times: customer × factor^levels. */
export function widening(levels: number, factor: number, select = 's', tail = ''): string {
  const ctes = [`w0 AS (SELECT customer AS s, id FROM orders)`];
  for (let level = 1; level <= levels; level++) ctes.push(`w${level} AS (SELECT ${Array(factor).fill('s').join(' || ')} AS s, id FROM w${level - 1})`);
  return `WITH ${ctes.join(', ')} SELECT ${select} FROM w${levels}${tail}`;
}

/**
 * Queries that pass the guard and make values of hundreds of kilobytes to megabytes each (the
 * row limit caps rows, not bytes): concatenation doubling through CTEs, casts, arrays, many wide
 * columns, aggregates of wide text. Also run by the fuzz suite (test/fuzz.test.ts).
 */
export const WIDE_QUERIES: [string, string, Expectation][] = [
  // Building three megabyte values takes PostgreSQL a few hundred ms: a loaded machine may cancel it at its timeout instead (as safe).
  ['wide: a megabyte value per row', widening(8, 4, 's', ' LIMIT 3'), { ...bytesBounded('GUARDED_SQL_MAX_BYTES'), mayTimeOut: true }],
  ['wide: 60 kB values on every row', widening(6, 4, 's, id'), bytesBounded('GUARDED_SQL_MAX_BYTES', 'GUARDED_SQL_MAX_VALUE_BYTES')],
  ['wide: casts concatenated', widening(5, 4, "s || id::text || (id * 1.5)::text || now()::text || current_date::text AS s", ' LIMIT 20'), bytesBounded('GUARDED_SQL_MAX_VALUE_BYTES')],
  ['wide: an array of wide values', widening(4, 4, 'ARRAY[s, s, s, s] AS a', ' LIMIT 50'), bytesBounded('GUARDED_SQL_MAX_VALUE_BYTES')],
  ['wide: many wide columns', widening(3, 4, Array.from({ length: 40 }, (_, i) => `s || '${i}' AS c${i}`).join(', ')), bytesBounded('GUARDED_SQL_MAX_BYTES')],
  ['wide: the max of wide text', widening(5, 4, 'max(s) AS s'), bytesBounded('GUARDED_SQL_MAX_VALUE_BYTES')],
  ['wide: a cross join within the row limit', 'SELECT a.customer || b.customer || a.customer || b.customer AS s FROM (SELECT customer FROM orders LIMIT 15) a, (SELECT customer FROM orders LIMIT 15) b', {
    rows: (rows) => expect(rows).toHaveLength(200),
  }],
  // The planner knows a char(n) value's width: refused from the plan before it runs (on PostgreSQL it would pad 200 values to 4 MB each).
  ['wide: a cast padding to a million characters', 'SELECT CAST(customer AS char(1000000)) AS s, id FROM orders', refused(/^the query would build about \d+ MiB of rows, far more than can be sent \(GUARDED_SQL_MAX_BYTES\)$/)],
  ['wide: repeat', "SELECT repeat(customer, 1000000) AS s FROM orders", refused()],
  ['wide: lpad', "SELECT lpad(customer, 100000000, 'x') AS s FROM orders", refused()],
  ['wide: string_agg', "SELECT string_agg(customer, ',') AS s FROM orders", refused()],
  ['wide: JSON building', 'SELECT json_agg(o) AS s FROM orders o', refused()],
];

/**
 * Generated worst cases for the fuzz suite (test/fuzz.test.ts): `widening` with any depth and
 * factor, over every output shape above (padding casts too), with or without a LIMIT. Each must
 * come back within the byte caps, or be refused (size or cost from the plan, timeout), never
 * answered whole.
 */
export const wideQueryArb: fc.Arbitrary<string> = fc
  .record({
    levels: fc.integer({ min: 0, max: 8 }),
    factor: fc.integer({ min: 2, max: 4 }),
    select: fc.constantFrom(
      's', 's, id', 'ARRAY[s, s, s] AS a', "s || id::text || (id * 1.5)::text || now()::text AS s", 'max(s) AS s',
      'CAST(s AS char(4000)) AS s, id', 'CAST(s AS char(1000000)) AS s',
      Array.from({ length: 20 }, (_, i) => `s || '${i}' AS c${i}`).join(', '),
    ),
    tail: fc.constantFrom('', ' LIMIT 1', ' LIMIT 3', ' LIMIT 50', ' ORDER BY id DESC LIMIT 10'),
  })
  .map(({ levels, factor, select, tail }) => widening(levels, factor, select, select.startsWith('max(') ? '' : tail));

/** The attack corpus: [name, model-written SQL, what must happen]. */
export const CORPUS: [string, string, Expectation][] = [
  // writes and more than one statement
  ['DROP', 'DROP TABLE orders', refused(/not DROP/)],
  ['DELETE', 'DELETE FROM orders', refused(/not DELETE/)],
  ['UPDATE', 'UPDATE orders SET amount = 0', refused(/not UPDATE/)],
  ['INSERT', "INSERT INTO orders (project, status, amount, customer) VALUES ('tienda_norte', 'pending', 1, 'x')", refused(/not INSERT/)],
  ['TRUNCATE', 'TRUNCATE orders', refused()],
  ['data-modifying CTE', 'WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d', refused()],
  ['two statements', 'SELECT 1; DELETE FROM orders', refused(/one statement/)],
  ['read write, then delete', 'SET TRANSACTION READ WRITE; DELETE FROM orders', refused(/one statement/)],
  ['read write alone', 'SET TRANSACTION READ WRITE', refused(/not SET/)],
  ['SET ROLE back', 'SET ROLE postgres', refused(/not SET/)],
  ['DO block', 'DO $$ BEGIN DELETE FROM orders; END $$', refused(/not DO/)],
  ['COPY TO PROGRAM', "COPY orders TO PROGRAM 'id > /tmp/pwned'", refused(/not COPY/)],
  ['COPY FROM PROGRAM', "COPY orders FROM PROGRAM 'echo 1'", refused(/not COPY/)],
  ['SELECT INTO', 'SELECT * INTO stolen FROM orders', refused(/SELECT INTO/)],
  ['FOR UPDATE', 'SELECT * FROM orders FOR UPDATE', refused(/FOR UPDATE/)],
  // the tenant setting and the role
  ['set_config project', "SELECT set_config('chat.tenant', 'tienda_norte', false)", refused(/set_config/)],
  ['set_config in WHERE', "SELECT count(*) AS n FROM orders WHERE set_config('chat.tenant', 'tienda_norte', true) IS NOT NULL", refused(/set_config/)],
  ['set_config role', "SELECT set_config('role', 'postgres', true)", refused(/set_config/)],
  ['set_config timeout', "SELECT set_config('statement_timeout', '0', true)", refused(/set_config/)],
  ['current_setting', "SELECT current_setting('chat.tenant')", refused(/current_setting/)],
  ['current_setting OR', "SELECT id, project FROM orders WHERE project = current_setting('chat.tenant', true) OR project = 'tienda_norte'", refused(/current_setting/)],
  ['current_user', 'SELECT current_user', refused(/CURRENT_USER/)],
  // functions that reach the server, files or other servers
  ['pg_sleep', 'SELECT pg_sleep(10)', refused(/pg_sleep/)],
  ['pg_read_file', "SELECT pg_read_file('/etc/passwd')", refused(/pg_read_file/)],
  ['lo_import', "SELECT lo_import('/etc/passwd')", refused(/lo_import/)],
  ['dblink', "SELECT * FROM dblink('host=127.0.0.1 dbname=postgres', 'SELECT 1') AS t(a int)", refused()],
  ['dblink_exec', "SELECT dblink_exec('dbname=postgres', 'DROP DATABASE x')", refused(/dblink_exec/)],
  ['query_to_xml', "SELECT query_to_xml('SELECT * FROM projects', true, true, '')", refused(/query_to_xml/)],
  ['regclass cast', "SELECT 'pg_authid'::regclass::oid", refused(/regclass/)],
  ['pg_sleep in a subquery', 'SELECT id FROM orders WHERE id IN (SELECT pg_sleep(5)::int)', refused(/pg_sleep/)],
  ['pg_sleep in ORDER BY', 'SELECT id FROM orders ORDER BY (SELECT pg_sleep(5))', refused(/pg_sleep/)],
  ['pg_sleep in a CTE', 'WITH x AS (SELECT pg_sleep(5)) SELECT * FROM x', refused(/pg_sleep/)],
  ['generate_series', 'SELECT generate_series(1, 100000000)', refused(/generate_series/)],
  ['generate_series in FROM', 'SELECT count(*) FROM generate_series(1, 1000000000)', refused()],
  // catalogs and other tables
  ['pg_catalog.pg_user', 'SELECT * FROM pg_catalog.pg_user', refused(/system catalogs/)],
  ['information_schema', 'SELECT * FROM information_schema.tables', refused(/system catalogs/)],
  ['pg_shadow', 'SELECT usename, passwd FROM pg_shadow', refused(/system catalogs/)],
  ['Unicode-escaped catalog', 'SELECT * FROM U&"pg_\\0073hadow"', refused(/system catalogs/)],
  // The model lists the columns any query may read; SELECT * would read the others too.
  ['SELECT * past the exposed columns', 'SELECT * FROM orders', refused(/SELECT \* is not allowed/)],
  ['projects table', 'SELECT slug, system_prompt FROM projects', refused(/table projects/)],
  ['conversations table', 'SELECT * FROM messages', refused(/table messages/)],
  ['UNION with projects', 'SELECT status FROM orders UNION SELECT system_prompt FROM projects', refused(/table projects/)],
  ['CTE shadowing another table', 'WITH orders AS (SELECT * FROM projects) SELECT * FROM orders', refused(/table projects/)],
  ['comment-split keyword', 'DEL/**/ETE FROM orders', refused(/not valid SQL/)],
  ['comment hiding a second statement', 'SELECT 1 /* ; */ ; DELETE FROM orders --', refused(/one statement/)],
  ['dollar-quoted second statement', 'SELECT $q$x$q$; DROP TABLE orders', refused(/one statement/)],
  ['generic catch: TABLESAMPLE', 'SELECT * FROM orders TABLESAMPLE SYSTEM (50)', refused(/TABLESAMPLE/)],
  // other projects' rows: the query runs, PostgreSQL hides them
  ["WHERE another project", "SELECT count(*) AS n FROM orders WHERE project = 'tienda_norte'", countIs(0)],
  ['WHERE 1=1 OR project <> x', "SELECT id, project, status, amount FROM orders WHERE 1=1 OR project <> 'x'", ownRowsOnly],
  ['UNION another project', `SELECT id, project FROM orders WHERE project = '${PROJECT}' UNION ALL SELECT id, project FROM orders WHERE project = 'tienda_norte'`, ownRowsOnly],
  ['count of everything', 'SELECT count(*) AS n FROM orders', countIs(OWN_ORDERS)],
  ['per-project breakdown', 'SELECT project, count(*) AS n FROM orders GROUP BY project', { rows: (rows) => expect(rows.map((r) => [r.project, Number(r.n)])).toEqual([[PROJECT, OWN_ORDERS]]) }],
  // 2.25 million pairs, about 0.2 s alone: on a busy 2-core machine it may reach the 500 ms timeout.
  ['self-join across projects', 'SELECT count(*) AS n FROM orders a JOIN orders b ON a.project <> b.project', { ...countIs(0), mayTimeOut: true }],
  ['correlated subquery across projects', 'SELECT (SELECT count(*) FROM orders o2 WHERE o2.project <> o.project) AS n FROM orders o LIMIT 1', countIs(0)],
  ['schema-qualified public.orders', 'SELECT count(*) AS n FROM public.orders', countIs(OWN_ORDERS)],
  ['Unicode-escaped table name', 'SELECT count(*) AS n FROM U&"\\006Frders"', countIs(OWN_ORDERS)],
  ['CTE named orders over other projects', `WITH orders AS (SELECT id, project FROM public.orders WHERE project <> '${PROJECT}') SELECT count(*) AS n FROM orders`, countIs(0)],
  ['comments around a filter', "SELECT count(*) AS n FROM orders /* WHERE project = 'x' */ -- ; DROP TABLE orders", countIs(OWN_ORDERS)],
  ['dollar-quoted text', 'SELECT $$; DELETE FROM orders; $$ AS s, project FROM orders LIMIT 1', ownRowsOnly],
  // size and time
  ['a huge result', 'SELECT id, project, status, amount, customer, created_at FROM orders', { rows: (rows, result) => {
    expect(rows).toHaveLength(200);
    expect(result.truncated).toBe(true);
    for (const row of rows) expect(row.project).toBe(PROJECT);
  } }],
  ['a cartesian join that would run for hours', 'SELECT count(*) AS n FROM orders a, orders b, orders c', { refused: 'timeout', reason: /longer than 500 ms/ }],
  ['a cartesian join hidden in a CTE', 'WITH x AS (SELECT a.id FROM orders a, orders b) SELECT count(*) AS n FROM x, orders c', { refused: 'timeout' }],
  // Planned at more than 10^12: refused before it runs, on PostgreSQL too (not cancelled at the timeout).
  ['a cartesian join of five', 'SELECT count(*) AS n FROM orders a, orders b, orders c, orders d, orders e', refused(/^the query would cost \d+, (far more than could finish in time|more than the embedded database allows \(GUARDED_SQL_MAX_COST\))$/)],
  ['a run-time error', 'SELECT 1 / (count(*) - count(*)) AS n FROM orders', { refused: 'failed', reason: /division by zero/ }],
  ...WIDE_QUERIES,
];
