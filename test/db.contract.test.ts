import { afterEach, describe, expect, it } from 'vitest';
import { appliedMigrations, migrate, MIGRATION_IDS } from '../src/adapters/db/migrations.js';
import { DEMO_PROJECTS, seedDemoData } from '../src/adapters/db/seed.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.js';

/** The contract every Database adapter meets, run against each real engine (and Neon's driver over HTTP, as the Worker runs it). */
describe.each([...DATABASE_KINDS, 'neon-http' as const])('database contract on the %s PostgreSQL', (kind) => {
  let test: TestDatabase | undefined;
  afterEach(async () => {
    await test?.drop();
    test = undefined;
  });
  const fresh = async () => (test = await createTestDatabase(kind));

  it('runs parameterised queries and returns typed rows', async () => {
    const { db } = await fresh();
    const rows = await db.query<{ n: number; t: string; missing: null; b: boolean }>(
      'SELECT $1::int AS n, $2::text AS t, $3::text AS missing, true AS b',
      [41 + 1, "o'brien; DROP TABLE x", null],
    );
    expect(rows).toEqual([{ n: 42, t: "o'brien; DROP TABLE x", missing: null, b: true }]);
  });

  it('never treats parameter values as SQL', async () => {
    const { db } = await fresh();
    await db.exec('CREATE TABLE t (v text)');
    await db.query('INSERT INTO t VALUES ($1)', ["x'); DROP TABLE t; --"]);
    expect(await db.query('SELECT v FROM t')).toEqual([{ v: "x'); DROP TABLE t; --" }]);
  });

  it('surfaces SQL errors and stays usable after a failed script', async () => {
    const { db } = await fresh();
    await expect(db.query('SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
    await expect(db.exec('BEGIN; CREATE TABLE a (x int); SELECT 1/0; COMMIT;')).rejects.toThrow(/division by zero/);
    expect(await db.query<{ ok: number }>('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    expect(await db.query("SELECT to_regclass('a') AS a")).toEqual([{ a: null }]);
  });

  it('migrates once, idempotently, also when two migrators race', async () => {
    const { db } = await fresh();
    const results = await Promise.all([migrate(db), migrate(db)]);
    expect(results.flat().sort()).toEqual([...MIGRATION_IDS].sort());
    expect(await migrate(db)).toEqual([]);
    expect(await appliedMigrations(db)).toEqual(MIGRATION_IDS);
  });

  it('seeds the demo data repeatably without duplicating it', async () => {
    const { db } = await fresh();
    await migrate(db);
    const now = new Date('2026-06-15T12:00:00Z');
    await seedDemoData(db, now);
    await seedDemoData(db, now);
    const counts = await db.query<{ project: string; n: number; statuses: number; oldest: Date | string; newest: Date | string }>(
      `SELECT project, count(*)::int AS n, count(DISTINCT status)::int AS statuses, min(created_at) AS oldest, max(created_at) AS newest
       FROM orders GROUP BY project ORDER BY project`,
    );
    const expected = DEMO_PROJECTS.filter((p) => p.orders > 0);
    expect(counts.map((c) => [c.project, c.n])).toEqual(expected.map((p) => [p.slug, p.orders]).sort());
    for (const c of counts) {
      expect(c.statuses).toBe(4);
      expect(new Date(c.newest).getTime()).toBeLessThanOrEqual(now.getTime());
      expect(now.getTime() - new Date(c.oldest).getTime()).toBeGreaterThan(90 * 86_400_000);
    }
    const projects = await db.query<{ slug: string }>('SELECT slug FROM chat_api.projects ORDER BY slug');
    expect(projects.map((p) => p.slug)).toEqual(DEMO_PROJECTS.map((p) => p.slug).sort());
  });
});
