import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/adapters/db/database.js';
import { migrate } from '../src/adapters/db/migrations.js';
import { createNodePostgresDatabase } from '../src/adapters/db/node-postgres.js';
import { DEMO_PROJECTS, seedDemoData } from '../src/adapters/db/seed.js';
import { GuardedSqlRefusal, runGuardedSql as runGuarded, type GuardedSqlOptions } from '../src/services/guarded-sql/execute.js';
import { guardedAccessFor } from '../src/services/guarded-sql/model-access.js';
import { runSemanticQuery } from '../src/services/semantic-model/run.js';
import { DEMO_MODEL } from '../src/adapters/db/demo-model.generated.js';
import { loadSqlParser } from '../src/services/guarded-sql/load-parser.js';
import type { SqlParser } from '../src/services/guarded-sql/parser.js';
import { createSeededDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from './support/databases.js';
import { BOUND_MS, CORPUS, onEmbedded, OTHER_PROJECTS, OWN_ORDERS, PROJECT, type Expectation } from './support/sql-attacks.js';

/**
 * Model-written SQL against real PostgreSQL: an attack corpus run as the service would run it,
 * with the database itself (role, grants, row-level security, statement timeout) as the boundary.
 * The allow-list is the demo model's (models/demo.yaml), derived as for any project.
 */

const DEMO_ACCESS = (() => {
  const access = guardedAccessFor(DEMO_MODEL);
  if (!access.ok) throw new Error(access.reason);
  return { allow: access.allow, scoped: access.scoped };
})();

/** runGuardedSql for a demo project, whose tenant is its slug. */
const runGuardedSql = (db: Database, { project, ...options }: Omit<GuardedSqlOptions, 'tenant' | 'allow' | 'scoped'> & { project: string }) =>
  runGuarded(db, { ...DEMO_ACCESS, ...options, tenant: project });

/** A count as the service's own queries run it (as the owner, the tenant bound as a parameter). */
const serviceCount = async (db: Database, project: string) =>
  (await runSemanticQuery(db, DEMO_MODEL, { model: 'orden', measure: 'ordenes' }, { tenant: project, now: new Date(), timeZone: 'UTC' }, 'es')).datos;


/** The service's own view (the owner): every project's orders, and the other tables. */
const ownerCounts = async (db: Database) =>
  JSON.stringify(
    await db.query(
      `SELECT (SELECT json_object_agg(project, n) FROM (SELECT project, count(*) AS n FROM orders GROUP BY project) c) AS orders,
              (SELECT count(*) FROM chat_api.projects) AS projects, (SELECT sum(amount) FROM orders) AS total`,
    ),
  );

/** Runs one corpus case as the service would and checks what must happen: no write, no foreign row. */
async function runCase(db: Database, parser: SqlParser, sql: string, expectation: Expectation): Promise<void> {
  const before = await ownerCounts(db);
  const started = performance.now();
  const outcome = await runGuardedSql(db, { sql, project: PROJECT, parser, timeoutMs: 500 }).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  expect(performance.now() - started).toBeLessThan(BOUND_MS);
  expect(await ownerCounts(db)).toBe(before); // no writes, ever

  if ('refused' in expectation) {
    expect('error' in outcome ? outcome.error : outcome.result).toBeInstanceOf(GuardedSqlRefusal);
    const refusal = (outcome as { error: GuardedSqlRefusal }).error;
    expect(refusal.kind).toBe(expectation.refused);
    if (expectation.reason) expect(refusal.reason).toMatch(expectation.reason);
  } else {
    if ('error' in outcome && expectation.mayTimeOut && outcome.error instanceof GuardedSqlRefusal && outcome.error.kind === 'timeout') return;
    if ('error' in outcome) throw outcome.error;
    const text = JSON.stringify(outcome.result.rows);
    for (const other of OTHER_PROJECTS) expect(text).not.toContain(other);
    expectation.rows(outcome.result.rows, outcome.result);
  }
}

describe.each(['postgres', 'neon'] as const)('guarded SQL on the %s PostgreSQL', (kind) => {
  let test: TestDatabase;
  let parser: SqlParser;

  beforeAll(async () => {
    parser = await loadSqlParser();
    test = await createSeededDatabase(kind);
  });
  afterAll(async () => {
    await test?.drop();
  });

  it.each(CORPUS)('%s', (_name, sql, expectation) => runCase(test.db, parser, sql, expectation));

  // README.md ("a 76-case attack corpus") states this figure: change both together.
  it('has the 76-case corpus the README describes, each case named once', () => {
    expect(CORPUS).toHaveLength(76);
    expect(new Set(CORPUS.map(([name]) => name)).size).toBe(CORPUS.length);
  });

  it('answers each project with its own rows only', async () => {
    for (const project of DEMO_PROJECTS) {
      const { rows } = await runGuardedSql(test.db, { sql: 'SELECT project, count(*) AS n FROM orders GROUP BY project', project: project.slug, parser });
      expect(rows.map((r) => [r.project, Number(r.n)])).toEqual(project.orders > 0 ? [[project.slug, project.orders]] : []);
    }
  });

  it('caps rows at rowLimit and says when it did', async () => {
    const capped = await runGuardedSql(test.db, { sql: 'SELECT id FROM orders ORDER BY id', project: PROJECT, parser, rowLimit: 10 });
    expect(capped.rows).toHaveLength(10);
    expect(capped.truncated).toBe(true);
    const exact = await runGuardedSql(test.db, { sql: 'SELECT id FROM orders ORDER BY id LIMIT 10', project: PROJECT, parser, rowLimit: 10 });
    expect(exact.rows).toEqual(capped.rows);
    expect(exact.truncated).toBe(false);
  });

  it('caps bytes in PostgreSQL: the rows that fit, in order, and says which cap applied', async () => {
    const all = await runGuardedSql(test.db, { sql: 'SELECT id, customer FROM orders ORDER BY id', project: PROJECT, parser, rowLimit: 50 });
    const capped = await runGuardedSql(test.db, { sql: 'SELECT id, customer FROM orders ORDER BY id', project: PROJECT, parser, rowLimit: 50, maxBytes: 1_024 });
    expect(capped.rows.length).toBeGreaterThan(0);
    expect(capped.rows.length).toBeLessThan(50);
    expect(capped.rows).toEqual(all.rows.slice(0, capped.rows.length));
    expect(JSON.stringify(capped.rows).length).toBeLessThanOrEqual(1_024 + 16 * capped.rows.length);
    expect(capped).toMatchObject({ truncated: true, truncatedBy: ['GUARDED_SQL_ROW_LIMIT', 'GUARDED_SQL_MAX_BYTES'] });
    const fits = await runGuardedSql(test.db, { sql: 'SELECT count(*) AS n FROM orders', project: PROJECT, parser, maxBytes: 1_024 });
    expect(fits).toMatchObject({ rows: [{ n: String(OWN_ORDERS) }], truncated: false, truncatedBy: [] });
    const none = await runGuardedSql(test.db, { sql: 'SELECT id FROM orders WHERE false', project: PROJECT, parser, maxBytes: 1_024 });
    expect(none).toMatchObject({ rows: [], truncated: false, truncatedBy: [] });
  });

  it('cuts values longer than maxValueBytes, ending them in …', async () => {
    const { rows, truncatedBy } = await runGuardedSql(test.db, {
      sql: "SELECT customer || customer || customer || 'ñandú' AS s, id FROM orders ORDER BY id LIMIT 2", project: PROJECT, parser, maxValueBytes: 16,
    });
    expect(truncatedBy).toEqual(['GUARDED_SQL_MAX_VALUE_BYTES']);
    for (const row of rows) {
      expect(String(row.s)).toMatch(/…$/);
      expect(new TextEncoder().encode(String(row.s)).length).toBeLessThanOrEqual(16);
      expect(row.id).toBeDefined();
    }
  });

  it('leaves the pooled connections clean: role, settings and transaction end with the query', async () => {
    await runGuardedSql(test.db, { sql: 'SELECT count(*) FROM orders', project: PROJECT, parser });
    await runGuardedSql(test.db, { sql: 'SELECT count(*) FROM orders a, orders b, orders c', project: PROJECT, parser, timeoutMs: 200 }).catch(() => {});
    // Every pooled connection (max 2 on Neon, 4 here) answers as the owner again.
    const states = await Promise.all(
      Array.from({ length: 4 }, () =>
        test.db.query<{ role: string; project: string | null; timeout: string; count: number }>(
          `SELECT current_user AS role, current_setting('chat.tenant', true) AS project,
                  current_setting('statement_timeout') AS timeout, (SELECT count(*)::int FROM orders) AS count`,
        ),
      ),
    );
    for (const [state] of states) {
      expect(state!.role).not.toBe('chat_sql_reader');
      expect(state!.project ?? '').toBe('');
      expect(state!.timeout).toBe('5s');
      expect(state!.count).toBe(DEMO_PROJECTS.reduce((sum, p) => sum + p.orders, 0));
    }
  });

  it('deallocates its prepared statement whatever happens: answered, refused from the plan, failed or cancelled', async () => {
    const outcomes = await Promise.allSettled([
      runGuardedSql(test.db, { sql: 'SELECT count(*) AS n FROM orders', project: PROJECT, parser }),
      runGuardedSql(test.db, { sql: 'SELECT CAST(customer AS char(1000000)) AS s FROM orders', project: PROJECT, parser }),
      runGuardedSql(test.db, { sql: 'SELECT 1 / (count(*) - count(*)) AS n FROM orders', project: PROJECT, parser }),
      runGuardedSql(test.db, { sql: 'SELECT count(*) FROM orders a, orders b, orders c', project: PROJECT, parser, timeoutMs: 200 }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
    const left = await Promise.all(
      Array.from({ length: 4 }, () => test.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'guarded\\_%'`)),
    );
    expect(left.map(([row]) => row!.n)).toEqual([0, 0, 0, 0]);
  });

  it('keeps the model\'s own queries (the service itself, as the owner) unrestricted', async () => {
    expect(await serviceCount(test.db, 'tienda_norte')).toEqual({ count: 900 });
  });

  it('refuses a bad tenant or limits before touching the database, and binds any tenant as a value', async () => {
    await expect(runGuardedSql(test.db, { sql: 'SELECT 1', project: '', parser })).rejects.toThrow(RangeError);
    await expect(runGuardedSql(test.db, { sql: 'SELECT 1', project: 'x'.repeat(201), parser })).rejects.toThrow(RangeError);
    // A tenant value never becomes SQL: it is the chat.tenant setting, compared as a value.
    expect((await runGuardedSql(test.db, { sql: 'SELECT count(*) AS n FROM orders', project: "x' OR '1'='1", parser })).rows).toEqual([{ n: '0' }]);
    await expect(runGuardedSql(test.db, { sql: 'SELECT 1', project: PROJECT, parser, rowLimit: 0 })).rejects.toThrow(RangeError);
    await expect(runGuardedSql(test.db, { sql: 'SELECT 1', project: PROJECT, parser, timeoutMs: 10 ** 9 })).rejects.toThrow(RangeError);
  });
});

/**
 * The database side alone, without the checker: what a query that somehow got past it could do
 * as chat_sql_reader. The migration, not the parser, is under test here.
 */
describe('the database boundary without the checker (postgres)', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createSeededDatabase('postgres');
  });
  afterAll(async () => {
    await test?.drop();
  });

  /** Runs raw statements as the reader, for `project`, the way runGuardedSql sets it up. */
  async function asReader(project: string | null, statements: string[]): Promise<unknown[]> {
    return test.db.transaction!(
      async (tx) => {
        await tx.query('SET LOCAL ROLE chat_sql_reader');
        if (project !== null) await tx.query("SELECT set_config('chat.tenant', $1, true)", [project]);
        const results: unknown[] = [];
        for (const statement of statements) results.push(await tx.query(statement));
        return results;
      },
      { rollback: true },
    );
  }

  it('shows the reader only its project, and nothing without one', async () => {
    expect(await asReader(PROJECT, ['SELECT count(*)::int AS n FROM orders'])).toEqual([[{ n: OWN_ORDERS }]]);
    expect(await asReader(PROJECT, ["SELECT count(*)::int AS n FROM orders WHERE project = 'tienda_norte'"])).toEqual([[{ n: 0 }]]);
    expect(await asReader(null, ['SELECT count(*)::int AS n FROM orders'])).toEqual([[{ n: 0 }]]);
    expect(await asReader('', ['SELECT count(*)::int AS n FROM orders'])).toEqual([[{ n: 0 }]]);
  });

  it('refuses the reader every other table and every write, even in a READ WRITE transaction', async () => {
    await expect(asReader(PROJECT, ['SELECT * FROM chat_api.projects'])).rejects.toThrow(/permission denied/);
    await expect(asReader(PROJECT, ['SELECT * FROM chat_api.schema_migrations'])).rejects.toThrow(/permission denied/);
    await expect(asReader(PROJECT, ['DELETE FROM orders'])).rejects.toThrow(/permission denied/);
    await expect(asReader(PROJECT, ["UPDATE orders SET amount = 0 WHERE project = 'tienda_norte'"])).rejects.toThrow(/permission denied/);
    await expect(asReader(PROJECT, ["INSERT INTO orders (project, status, amount, customer) VALUES ('tienda_norte', 'pending', 1, 'x')"])).rejects.toThrow(
      /permission denied/,
    );
    await expect(asReader(PROJECT, ['CREATE TABLE stolen (x int)'])).rejects.toThrow(/permission denied/);
  });

  it('refuses to run when the database side is weakened: RLS off, its policy gone, or a wider policy', async () => {
    const parser = await loadSqlParser();
    const run = () => runGuardedSql(test.db, { sql: 'SELECT count(*) AS n FROM orders', project: PROJECT, parser });
    expect((await run()).rows).toEqual([{ n: String(OWN_ORDERS) }]);
    for (const [weaken, restore] of [
      ['ALTER TABLE orders DISABLE ROW LEVEL SECURITY', 'ALTER TABLE orders ENABLE ROW LEVEL SECURITY'],
      ['CREATE POLICY everything ON orders FOR SELECT USING (true)', 'DROP POLICY everything ON orders'],
      ['CREATE POLICY reader_everything ON orders FOR ALL TO chat_sql_reader USING (true)', 'DROP POLICY reader_everything ON orders'],
      ['ALTER POLICY chat_tenant_isolation ON orders RENAME TO renamed', 'ALTER POLICY renamed ON orders RENAME TO chat_tenant_isolation'],
    ] as const) {
      await test.db.exec(weaken);
      try {
        await expect(run()).rejects.toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/row-level security/) });
      } finally {
        await test.db.exec(restore);
      }
    }
    expect((await run()).rows).toEqual([{ n: String(OWN_ORDERS) }]);
  });

  it('needs the parser to stop settings: the reader can still change its own project setting', async () => {
    // This is why set_config and current_setting are never allowed in model-written SQL.
    expect(await asReader(PROJECT, ["SELECT set_config('chat.tenant', 'tienda_norte', true)", 'SELECT count(*)::int AS n FROM orders'])).toEqual([
      [{ set_config: 'tienda_norte' }],
      [{ n: 900 }],
    ]);
  });
});

/**
 * A service user that is not a superuser (superusers skip row-level security altogether):
 * it owns the database, the FORCEd policy applies to it, and it must stay unrestricted.
 */
describe('a non-superuser owner (postgres)', () => {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const owner = `chat_owner_${suffix}`;
  const database = `chat_test_owner_${suffix}`;
  let db: Database;
  let parser: SqlParser;

  const admin = async (statements: string[]) => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    parser = await loadSqlParser();
    // The reader role may already exist (roles are cluster-wide); creating it here is what a DBA
    // does for a service user without CREATEROLE: create it and grant its membership.
    await admin([
      `DO $$ BEGIN CREATE ROLE chat_sql_reader NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
      `CREATE ROLE ${owner} LOGIN`,
      `GRANT chat_sql_reader TO ${owner}`,
      `CREATE DATABASE ${database} OWNER ${owner}`,
    ]);
    const url = new URL(POSTGRES_ADMIN_URL);
    url.username = owner;
    url.pathname = `/${database}`;
    db = createNodePostgresDatabase({ connectionString: url.toString(), max: 2 });
    await migrate(db);
    await seedDemoData(db);
  });
  afterAll(async () => {
    await db?.close();
    await admin([`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, `DROP ROLE IF EXISTS ${owner}`]);
  });

  it('owns the table under row-level security yet sees every project', async () => {
    const [me] = await db.query<{ superuser: boolean; rls: boolean }>(
      `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
              (SELECT relrowsecurity FROM pg_class WHERE oid = 'orders'::regclass) AS rls`,
    );
    expect(me).toEqual({ superuser: false, rls: true });
    const counts = await db.query<{ project: string; n: number }>('SELECT project, count(*)::int AS n FROM orders GROUP BY project ORDER BY project');
    expect(counts).toEqual(DEMO_PROJECTS.filter((p) => p.orders > 0).map((p) => ({ project: p.slug, n: p.orders })).sort((a, b) => a.project.localeCompare(b.project)));
  });

  it('answers model queries for any project and guarded SQL for one', async () => {
    for (const project of ['tienda_norte', PROJECT]) {
      expect(await serviceCount(db, project)).toEqual({ count: DEMO_PROJECTS.find((p) => p.slug === project)!.orders });
    }
    const { rows } = await runGuardedSql(db, { sql: 'SELECT project, count(*) AS n FROM orders GROUP BY project', project: 'tienda_norte', parser });
    expect(rows.map((r) => [r.project, Number(r.n)])).toEqual([['tienda_norte', 900]]);
  });

  it('can still write its own tables (seeding again)', async () => {
    await seedDemoData(db);
    const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
    expect(row!.n).toBe(DEMO_PROJECTS.reduce((sum, p) => sum + p.orders, 0));
  });
});

/**
 * The embedded engine: no statement timeout, so the executor refuses by planner cost what
 * PostgreSQL would cancel; role, grants and row-level security hold as on a server.
 */
describe('guarded SQL on the embedded PostgreSQL (PGlite)', () => {
  let test: TestDatabase;
  let parser: SqlParser;
  beforeAll(async () => {
    parser = await loadSqlParser();
    test = await createSeededDatabase('embedded');
  });
  afterAll(async () => {
    await test?.drop();
  });

  it.each(CORPUS)('%s', (_name, sql, expectation) => runCase(test.db, parser, sql, onEmbedded(expectation)));

  it("answers ordinary questions with this project's rows", async () => {
    const ask = async (sql: string) => (await runGuardedSql(test.db, { sql, project: PROJECT, parser })).rows;
    const expected = async (sql: string) => test.db.query(sql.replace('FROM orders', 'FROM orders WHERE project = $1'), [PROJECT]);
    const byStatus = 'SELECT status, count(*)::int AS n FROM orders GROUP BY status ORDER BY status';
    const top = 'SELECT customer, sum(amount)::text AS total FROM orders GROUP BY customer ORDER BY 2 DESC, customer LIMIT 5';
    expect(await ask(byStatus)).toEqual(await expected(byStatus));
    expect((await ask(byStatus)).length).toBeGreaterThan(1);
    expect(await ask(top)).toEqual(await expected(top));
    expect(await ask(top)).toHaveLength(5);
    const joined = await ask("SELECT a.id, b.amount FROM orders a JOIN orders b ON a.id = b.id WHERE a.id = (SELECT min(id) FROM orders)");
    const [first] = await test.db.query<{ id: number; amount: string }>('SELECT id, amount FROM orders WHERE project = $1 ORDER BY id LIMIT 1', [PROJECT]);
    expect(joined).toEqual([{ id: first!.id, amount: first!.amount }]);
    expect((await ask('SELECT count(*)::int AS n FROM orders')).at(0)).toEqual({ n: OWN_ORDERS });
  });

  it('refuses runaway queries by cost without running them, and stays responsive', async () => {
    for (const sql of [
      'SELECT count(*) AS n FROM orders a, orders b, orders c',
      // A LIMIT would price this at a fraction of the join; a filter nothing matches reads all of it.
      'SELECT a.id FROM orders a, orders b, orders c WHERE a.amount + b.amount + c.amount < 0 LIMIT 1',
      'SELECT (SELECT count(*) FROM orders b, orders c WHERE b.id <> a.id) AS n FROM orders a',
    ]) {
      const refusal = runGuardedSql(test.db, { sql, project: PROJECT, parser }).catch((error: unknown) => error);
      // Queued behind the guarded transaction on PGlite's one connection: it answers only if that one ended.
      const trivial = test.db.query<{ ok: number }>('SELECT 1 AS ok');
      expect(await refusal).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^the query would cost \d+, more than the embedded database allows \(GUARDED_SQL_MAX_COST\)$/) });
      expect(await trivial).toEqual([{ ok: 1 }]);
    }
    // The same query with a cap above its cost runs: the refusal came from the cap.
    const [{ n } = { n: 0 }] = (await runGuardedSql(test.db, { sql: 'SELECT count(*)::int AS n FROM orders a, orders b', project: PROJECT, parser })).rows as { n: number }[];
    expect(n).toBe(OWN_ORDERS * OWN_ORDERS);
    await expect(runGuardedSql(test.db, { sql: 'SELECT count(*)::int AS n FROM orders a, orders b', project: PROJECT, parser, maxCost: 1000 })).rejects.toMatchObject({
      kind: 'rejected',
      reason: expect.stringMatching(/GUARDED_SQL_MAX_COST/),
    });
  });

  it('refuses regular expressions on PGlite only: the planner cannot price them', async () => {
    await expect(runGuardedSql(test.db, { sql: "SELECT id FROM orders WHERE customer ~ '^(a+)+$'", project: PROJECT, parser })).rejects.toMatchObject({
      kind: 'rejected',
      reason: 'the operator ~ is not allowed',
    });
    expect((await runGuardedSql(test.db, { sql: "SELECT count(*)::int AS n FROM orders WHERE customer LIKE '%a%'", project: PROJECT, parser })).rows).toHaveLength(1);
  });

  it('refuses to run when row-level security is weakened', async () => {
    const run = () => runGuardedSql(test.db, { sql: 'SELECT count(*)::int AS n FROM orders', project: PROJECT, parser });
    await test.db.exec('ALTER TABLE orders DISABLE ROW LEVEL SECURITY');
    try {
      await expect(run()).rejects.toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/row-level security/) });
    } finally {
      await test.db.exec('ALTER TABLE orders ENABLE ROW LEVEL SECURITY');
    }
    expect((await run()).rows).toEqual([{ n: OWN_ORDERS }]);
  });

  it('has the role and row-level security from the migration', async () => {
    const results = await test.db.transaction!(
      async (tx) => {
        await tx.query('SET LOCAL ROLE chat_sql_reader');
        await tx.query("SELECT set_config('chat.tenant', $1, true)", [PROJECT]);
        return [
          await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM orders'),
          await tx.query('SELECT current_user AS u'),
          await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE project = 'tienda_norte'"),
        ];
      },
      { readOnly: true, rollback: true },
    );
    expect(results).toEqual([[{ n: OWN_ORDERS }], [{ u: 'chat_sql_reader' }], [{ n: 0 }]]);
    const [after] = await test.db.query<{ n: number; u: string }>('SELECT count(*)::int AS n, current_user AS u FROM orders');
    expect(after).toEqual({ n: DEMO_PROJECTS.reduce((sum, p) => sum + p.orders, 0), u: 'postgres' });
    // The reader may not read the service's tables or write, on PGlite too.
    for (const statement of ['SELECT * FROM chat_api.projects', 'DELETE FROM orders']) {
      await expect(
        test.db.transaction!(async (tx) => {
          await tx.query('SET LOCAL ROLE chat_sql_reader');
          return tx.query(statement);
        }, { rollback: true }),
      ).rejects.toThrow(/permission denied/);
    }
  });
});
