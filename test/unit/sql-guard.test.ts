import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODEL } from '../../src/adapters/db/demo-model.generated.js';
import { checkSql, guardedStatement, MAX_SQL_LENGTH, type SqlAllowList } from '../../src/services/guarded-sql/guard.js';
import { guardedAccessFor } from '../../src/services/guarded-sql/model-access.js';
import { loadSqlParser } from '../../src/services/guarded-sql/load-parser.js';
import { loadOnce, type SqlParser } from '../../src/services/guarded-sql/parser.js';
import { createWasmSqlParser, type LibpgQueryFactory } from '../../src/services/guarded-sql/wasm-parser.js';

/** The checker alone, with PostgreSQL's parser: what it accepts, what it refuses and why. */
let parser: SqlParser;
beforeAll(async () => {
  parser = await loadSqlParser();
});

/**
 * The demo model's allow-list, plus `*` on its table: a project's list never has `*` (a table's
 * columns beyond the exposed ones are unknown to the model), but the checker supports it.
 */
const DEMO_ALLOW: SqlAllowList = (() => {
  const access = guardedAccessFor(DEMO_MODEL);
  if (!access.ok) throw new Error(access.reason);
  return { ...access.allow, tables: { 'public.orders': [...access.allow.tables['public.orders']!, '*'] } };
})();
const check = (sql: string, allow: SqlAllowList = DEMO_ALLOW) => checkSql(sql, allow, parser);

describe('accepts one read-only SELECT over the allow-list', () => {
  it.each([
    'SELECT count(*) FROM orders',
    "SELECT count(*) AS n FROM orders WHERE status = 'pending'",
    'select status, count(*) as n, sum(amount) as total from orders group by status order by n desc',
    "SELECT date_trunc('month', created_at) AS month, round(avg(amount), 2) FROM orders GROUP BY month ORDER BY month",
    'SELECT extract(year FROM created_at) AS y, count(*) FROM orders GROUP BY 1',
    "SELECT customer, sum(amount) AS total FROM orders WHERE created_at >= now() - interval '30 days' GROUP BY customer ORDER BY total DESC LIMIT 10",
    'SELECT * FROM orders',
    'SELECT o.* FROM orders o',
    'SELECT * FROM public.orders',
    'SELECT public.orders.id FROM public.orders',
    'TABLE orders',
    'SELECT lower(customer), upper(status), coalesce(amount, 0), greatest(amount, 1) FROM orders',
    'SELECT id FROM orders WHERE amount > (SELECT avg(amount) FROM orders)',
    'SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM orders i WHERE i.customer = o.customer AND i.id <> o.id)',
    'WITH big AS (SELECT * FROM orders WHERE amount > 100) SELECT status, count(*) FROM big GROUP BY status',
    'WITH a AS (SELECT id, amount FROM orders), b AS (SELECT id FROM a WHERE amount > 10) SELECT count(*) FROM b',
    "WITH orders AS (SELECT 'shadow' AS project) SELECT project FROM orders",
    "SELECT status FROM orders WHERE status = 'pending' UNION SELECT status FROM orders WHERE status = 'shipped' ORDER BY 1",
    'SELECT a.id, b.id FROM orders a JOIN orders b ON a.customer = b.customer AND a.id < b.id',
    'SELECT x.n FROM (SELECT count(*) AS n FROM orders) x',
    'SELECT v.a FROM (VALUES (1), (2)) AS v(a)',
    "SELECT CASE WHEN amount > 100 THEN 'big' ELSE 'small' END AS size, count(*) FROM orders GROUP BY size",
    "SELECT id FROM orders WHERE customer ILIKE '%café%' AND status IN ('pending', 'shipped') AND amount BETWEEN 1 AND 500",
    'SELECT id, amount::float8, created_at::date, CAST(id AS text) FROM orders',
    'SELECT count(*) FILTER (WHERE status = \'pending\') AS pending FROM orders',
    'SELECT id, sum(amount) OVER (PARTITION BY status ORDER BY created_at) FROM orders',
    'SELECT DISTINCT ON (customer) customer, amount FROM orders ORDER BY customer, amount DESC',
    'SELECT current_date, current_timestamp, localtimestamp',
    "SELECT created_at AT TIME ZONE 'Europe/Madrid' FROM orders",
    'SELECT id FROM orders WHERE amount IS NOT NULL AND (status = \'pending\') IS TRUE',
    'SELECT 1',
  ])('%s', (sql) => {
    expect(check(sql)).toEqual({ ok: true, normalized: sql });
  });

  it('returns the statement without a trailing semicolon or surrounding space, comments kept inside', () => {
    expect(check('  SELECT count(*) FROM orders ;  ')).toEqual({ ok: true, normalized: 'SELECT count(*) FROM orders' });
    expect(check('SELECT count(*) /* total */ FROM orders -- all\n')).toEqual({ ok: true, normalized: 'SELECT count(*) /* total */ FROM orders -- all' });
    expect(check("SELECT 'Óptica Visión — ñ' AS c FROM orders;")).toEqual({ ok: true, normalized: "SELECT 'Óptica Visión — ñ' AS c FROM orders" });
  });

  it('wraps the statement so that a trailing comment cannot swallow the wrapper', () => {
    const result = check('SELECT id FROM orders -- ) AS x; DROP TABLE orders');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const wrapped = guardedStatement(result.normalized);
    const tree = parser.parse(wrapped) as { stmts: unknown[] };
    expect(tree.stmts).toHaveLength(1);
    expect(wrapped).toMatch(/LIMIT \$1$/);
  });
});

describe('refuses everything else, with a short reason', () => {
  it.each([
    ['', /empty/],
    ['   ;  ', /empty/],
    ['-- nothing', /empty/],
    ['SELECT 1; SELECT 2', /one statement/],
    ['SELECT 1; DELETE FROM orders', /one statement/],
    ["SELECT 1 /* ; */ ; DELETE FROM orders --", /one statement/],
    ['SET TRANSACTION READ WRITE; DELETE FROM orders', /one statement/],
    ['SET TRANSACTION READ WRITE', /not SET/],
    ['COMMIT', /not a transaction command/],
    ['DROP TABLE orders', /not DROP/],
    ['DELETE FROM orders', /not DELETE/],
    ['UPDATE orders SET amount = 0', /not UPDATE/],
    ["INSERT INTO orders (project, status, amount, customer) VALUES ('x', 'pending', 1, 'y')", /not INSERT/],
    ['WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d', /only SELECT is allowed inside WITH/],
    ['TRUNCATE orders', /not TRUNCATE/],
    ["COPY orders TO PROGRAM 'id'", /not COPY/],
    ['COPY (SELECT * FROM orders) TO STDOUT', /not COPY/],
    ['DO $$ BEGIN DELETE FROM orders; END $$', /not DO/],
    ['EXPLAIN ANALYZE SELECT * FROM orders', /not EXPLAIN/],
    ["SET statement_timeout = 0", /not SET/],
    ['SET ROLE postgres', /not SET/],
    ['RESET ROLE', /not SET/],
    ['PREPARE p AS DELETE FROM orders', /not PREPARE/],
    ['CALL something()', /not CALL/],
    ['GRANT SELECT ON projects TO chat_sql_reader', /not GRANT/],
    ['LOCK orders', /not LOCK/],
    ['DEL/**/ETE FROM orders', /not valid SQL/],
    ['SELECT FROM WHERE', /not valid SQL/],
    ["SELECT 'unterminated", /not valid SQL/],
    ['SELECT 1\0; DROP TABLE orders', /NUL/],
    ['SELECT * FROM orders FOR UPDATE', /FOR UPDATE\/SHARE/],
    ['SELECT * FROM orders FOR SHARE SKIP LOCKED', /FOR UPDATE\/SHARE/],
    ['SELECT * FROM (SELECT * FROM orders FOR UPDATE) x', /FOR UPDATE\/SHARE/],
    ['SELECT * INTO stolen FROM orders', /SELECT INTO/],
    ['SELECT pg_sleep(10)', /function pg_sleep/],
    ["SELECT pg_read_file('/etc/passwd')", /function pg_read_file/],
    ["SELECT lo_import('/etc/passwd')", /function lo_import/],
    ["SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)", /functions in FROM/],
    ["SELECT dblink_exec('host=evil', 'DROP TABLE orders')", /function dblink_exec/],
    ["SELECT set_config('chat.project', 'tienda_norte', false)", /function set_config/],
    ["SELECT * FROM orders WHERE set_config('chat.project', 'tienda_norte', true) IS NOT NULL", /function set_config/],
    ["SELECT set_config('role', 'postgres', true)", /function set_config/],
    ["SELECT current_setting('chat.project')", /function current_setting/],
    ["SELECT * FROM orders WHERE project = current_setting('chat.project', true) OR true", /function current_setting/],
    ['SELECT current_user', /CURRENT_USER is not allowed/],
    ['SELECT session_user', /SESSION_USER is not allowed/],
    ['SELECT pg_catalog.count(*) FROM orders', /schema-qualified function/],
    ['SELECT public.lower(customer) FROM orders', /schema-qualified function/],
    ["SELECT nextval('orders_id_seq')", /function nextval/],
    ["SELECT query_to_xml('SELECT * FROM projects', true, true, '')", /function query_to_xml/],
    ['SELECT generate_series(1, 100000000)', /function generate_series/],
    ['SELECT * FROM generate_series(1, 1000000000)', /functions in FROM/],
    ['SELECT * FROM pg_catalog.pg_user', /system catalogs/],
    ['SELECT usename FROM pg_user', /system catalogs/],
    ['SELECT * FROM pg_shadow', /system catalogs/],
    ['SELECT * FROM information_schema.tables', /system catalogs/],
    ['SELECT * FROM pg_catalog.orders', /system catalogs/],
    ['SELECT * FROM U&"pg_\\0073hadow"', /system catalogs/],
    ['SELECT * FROM projects', /table projects/],
    ['SELECT * FROM conversations', /table conversations/],
    ['SELECT * FROM schema_migrations', /table schema_migrations/],
    ['SELECT * FROM other.orders', /schema other/],
    ['SELECT * FROM chat.public.orders', /database-qualified/],
    ['SELECT * FROM "Orders"', /table Orders/],
    ['SELECT status FROM orders UNION SELECT slug FROM projects', /table projects/],
    ['WITH orders AS (SELECT * FROM projects) SELECT * FROM orders', /table projects/],
    ['WITH a AS (SELECT * FROM projects_cte), projects_cte AS (SELECT 1) SELECT * FROM a', /table projects_cte/],
    ['WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r', /WITH RECURSIVE/],
    ['SELECT * FROM orders WHERE id IN (SELECT pg_sleep(5)::int)', /function pg_sleep/],
    ['SELECT id FROM orders ORDER BY (SELECT pg_sleep(5))', /function pg_sleep/],
    ['SELECT id FROM orders ORDER BY pg_sleep(1)', /function pg_sleep/],
    ['WITH x AS (SELECT pg_sleep(5)) SELECT * FROM x', /function pg_sleep/],
    ['SELECT count(*) FILTER (WHERE pg_sleep(1) IS NULL) FROM orders', /function pg_sleep/],
    ['SELECT CASE WHEN true THEN pg_sleep(1) END', /function pg_sleep/],
    ['SELECT id FROM orders GROUP BY id HAVING pg_sleep(1) IS NULL', /function pg_sleep/],
    ['SELECT id FROM orders LIMIT (SELECT pg_sleep(1))::int', /function pg_sleep/],
    ["SELECT 'orders'::regclass", /type regclass/],
    ["SELECT '1'::pg_catalog.regproc", /type regproc/],
    ['SELECT id::json FROM orders', /type json/],
    ['SELECT * FROM orders WHERE id = $1', /parameters/],
    ['SELECT * FROM orders TABLESAMPLE SYSTEM (50)', /TABLESAMPLE/],
    ['SELECT * FROM orders, LATERAL (SELECT * FROM orders) x', /LATERAL/],
    ['SELECT * FROM orders a NATURAL JOIN orders b', /NATURAL JOIN/],
    ['SELECT id FROM orders WHERE id OPERATOR(pg_catalog.=) 1', /schema-qualified operators/],
    ['SELECT id FROM orders WHERE customer @@ \'x\'', /operator @@/],
    ["SELECT xmlelement(name x, 'y')", /XML/],
    ["SELECT json_object('a': 1)", /JSON/],
    ['SELECT nope FROM orders', /column nope of orders/],
    ['SELECT o.nope FROM orders o', /column nope of orders/],
    ['SELECT o FROM orders o', /column o of orders/],
    ['SELECT x.y FROM orders', /unknown table or alias x/],
    ['SELECT * FROM orders AS o(a, b)', /column aliases on a table/],
    ['SELECT 1 FROM orders a JOIN orders b USING (id) AS j', /alias on a JOIN/],
  ])('%s', (sql, reason) => {
    const result = check(sql);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('refuses overlong and deeply nested queries without throwing', () => {
    expect(check(`SELECT ${'1 + '.repeat(MAX_SQL_LENGTH)}1`)).toEqual({ ok: false, reason: expect.stringMatching(/too long/) });
    for (const sql of [
      `SELECT ${'NOT '.repeat(2_400)}true`,
      `SELECT ${'(SELECT '.repeat(1_000)}1${')'.repeat(1_000)}`,
      `SELECT 1${'+1'.repeat(4_900)}`,
    ]) {
      const result = check(sql);
      expect(result).toEqual({ ok: false, reason: 'the query is too complex' });
    }
    // The parser stays usable afterwards.
    expect(check('SELECT count(*) FROM orders').ok).toBe(true);
  });

  it('does not take allow-listed names from the prototype chain', () => {
    for (const table of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(check(`SELECT * FROM "${table}"`)).toEqual({ ok: false, reason: `the table ${table} is not allowed` });
    }
  });

  it('never allows denied functions, whatever the allow-list says', () => {
    const reckless: SqlAllowList = { tables: DEMO_ALLOW.tables, functions: ['pg_sleep', 'set_config', 'current_setting', 'dblink', 'lo_import', 'pg_read_file'] };
    for (const call of ['pg_sleep(1)', "set_config('a', 'b', true)", "current_setting('a')", "dblink('a', 'b')", "lo_import('/x')", "pg_read_file('/x')"]) {
      expect(check(`SELECT ${call}`, reckless).ok).toBe(false);
    }
  });
});

describe('columns: only allow-listed ones, also through aliases, subqueries and joins', () => {
  // orders without customer and without '*': the cases below try to read customer anyway.
  const narrow: SqlAllowList = { tables: { orders: ['id', 'project', 'status', 'amount', 'created_at'] }, functions: ['count', 'sum'] };

  it.each([
    ['SELECT customer FROM orders', /column customer of orders/],
    ['SELECT count(customer) FROM orders', /column customer of orders/],
    ['SELECT 1 FROM orders GROUP BY customer', /column customer of orders/],
    ["SELECT id FROM orders WHERE customer = 'x'", /column customer of orders/],
    ['SELECT * FROM orders', /SELECT \* is not allowed on orders/],
    ['SELECT o.* FROM orders o', /SELECT \* is not allowed on orders/],
    ['SELECT count(o.*) FROM orders o', /SELECT \* is not allowed on orders/],
    ['SELECT o.customer FROM orders o, (SELECT 1 AS customer) x', /column customer of orders/],
    // The alias "customer" exists in the query, but the inner reference resolves to orders.customer.
    ['SELECT (SELECT customer FROM (SELECT 1 AS x) s) AS customer FROM orders', /column customer of orders/],
    ["SELECT customer FROM orders JOIN (SELECT 'a' AS customer) x USING (customer)", /customer is not allowed in JOIN/],
    // In ON, only the join's own items are visible: the later x does not hide orders.customer.
    ["SELECT 1 FROM orders o JOIN orders p ON customer = 'a', (SELECT 1 AS customer) x", /column customer of orders/],
    ['SELECT * FROM orders NATURAL JOIN (SELECT 1 AS customer) x', /NATURAL JOIN/],
    ['SELECT x FROM (SELECT customer AS x FROM orders) s', /column customer of orders/],
    ['WITH c AS (SELECT customer FROM orders) SELECT * FROM c', /column customer of orders/],
    ['SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM orders i WHERE i.customer = o.customer)', /column customer of orders/],
    ['SELECT public.orders.customer FROM public.orders', /column customer of orders/],
  ])('%s', (sql, reason) => {
    const result = check(sql, narrow);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it.each([
    'SELECT id, status FROM orders',
    'SELECT count(*) FROM orders',
    'SELECT id AS customer FROM orders ORDER BY customer',
    'SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY n',
    'SELECT s.n FROM (SELECT count(*) AS n FROM orders) s',
    'WITH c AS (SELECT id, amount FROM orders) SELECT c.* FROM c',
    'SELECT x.customer FROM (SELECT status AS customer FROM orders) x',
  ])('%s', (sql) => {
    expect(check(sql, narrow).ok).toBe(true);
  });
});

describe('the parser from a compiled WebAssembly module (the Workers way)', () => {
  const require = createRequire(import.meta.url);
  const factory = require('libpg-query/wasm/libpg-query.js') as LibpgQueryFactory;

  it('parses exactly like the package, errors included', async () => {
    // What the Worker's parser module gets from its `import wasm from './libpg-query.wasm'`.
    const wasm = await WebAssembly.compile(readFileSync(require.resolve('libpg-query/wasm/libpg-query.wasm')));
    const fromWasm = await createWasmSqlParser(factory, wasm);
    for (const sql of [
      'SELECT count(*) FROM orders',
      "SELECT 'Óptica Visión — ñ' AS c FROM orders WHERE status IN ('pending', 'shipped');",
      'WITH a AS (SELECT 1) SELECT * FROM a; DROP TABLE orders',
      'SELECT * FROM U&"pg_\\0073hadow"',
    ]) {
      expect(fromWasm.parse(sql)).toEqual(parser.parse(sql));
    }
    expect(() => fromWasm.parse('SELECT FROM WHERE')).toThrow(/syntax error at or near "WHERE"/);
    expect(() => fromWasm.parse('')).toThrow(/empty/);
    expect(checkSql('SELECT pg_sleep(1)', DEMO_ALLOW, fromWasm)).toEqual({ ok: false, reason: 'the function pg_sleep is not allowed' });
    expect(checkSql('SELECT count(*) FROM orders;', DEMO_ALLOW, fromWasm)).toEqual({ ok: true, normalized: 'SELECT count(*) FROM orders' });
  });

  it('fails the load, instead of waiting forever, when the WebAssembly cannot be instantiated', async () => {
    // A module importing zz.f, which the glue's imports do not provide: instantiation fails.
    const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const types = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00];
    const imports = [0x02, 0x08, 0x01, 0x02, 0x7a, 0x7a, 0x01, 0x66, 0x00, 0x00];
    const notTheParser = await WebAssembly.compile(new Uint8Array([...header, ...types, ...imports]));
    await expect(createWasmSqlParser(factory, notTheParser)).rejects.toThrow(/WebAssembly.instantiate\(\): Import #0 module="zz"/);
  });
});

describe('loadOnce: a parser loaded on first use', () => {
  it('loads once for concurrent and later callers, and retries after a failure', async () => {
    const parsers: SqlParser[] = [];
    let calls = 0;
    const load = loadOnce(async () => {
      calls += 1;
      if (calls === 1) throw new Error('transient');
      const loaded = { parse: () => ({ stmts: [] }) };
      parsers.push(loaded);
      return loaded;
    });
    expect(calls).toBe(0); // nothing happens before the first caller
    await expect(load()).rejects.toThrow('transient');
    const [a, b] = await Promise.all([load(), load()]);
    expect(await load()).toBe(a);
    expect(b).toBe(a);
    expect(calls).toBe(2);
    expect(parsers).toEqual([a]);
  });

  it('turns a synchronous throw into a failed load, retried by the next caller', async () => {
    let calls = 0;
    const load = loadOnce(() => {
      calls += 1;
      if (calls === 1) throw new Error('sync');
      return Promise.resolve({ parse: () => null });
    });
    await expect(load()).rejects.toThrow('sync');
    await expect(load()).resolves.toBeDefined();
  });
});

