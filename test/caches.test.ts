import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/adapters/db/database.js';
import { createAnswerCaches, createAnswerer } from '../src/services/chat/answer.js';
import { NotFoundError } from '../src/services/errors.js';
import { createProjectCache, createProjectDirectory, type Project } from '../src/services/projects.js';
import { ask, buildApp, question } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { accessToken } from './support/tokens.js';
import { serviceTables } from '../src/adapters/db/tables.js';

describe('the project cache (lru-cache)', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
  });
  afterAll(() => test?.drop());

  /** Counts the registry lookups that reach the database. */
  const counted = () => {
    let lookups = 0;
    const db: Database = {
      query: (sql, params) => {
        if (/FROM "chat_api"\.projects WHERE slug/.test(sql)) lookups++;
        return test.db.query(sql, params);
      },
      exec: (script) => test.db.exec(script),
      close: async () => {},
    };
    return { db, lookups: () => lookups };
  };

  it('reuses a project until its TTL passes, then looks it up again', async () => {
    let clock = 10_000;
    const { db, lookups } = counted();
    const projects = createProjectDirectory(db, createProjectCache(1_000, serviceTables(), { now: () => clock }), serviceTables());
    expect((await projects.usableBy('tienda_norte', '1')).cache).toBe('miss');
    clock += 999;
    expect((await projects.usableBy('tienda_norte', '1')).cache).toBe('hit');
    expect(lookups()).toBe(1);
    clock += 2;
    expect((await projects.usableBy('tienda_norte', '1')).cache).toBe('miss');
    expect(lookups()).toBe(2);
  });

  it('shares one lookup among concurrent misses, across request-bound directories', async () => {
    const { db, lookups } = counted();
    const cache = createProjectCache(60_000, serviceTables());
    const found = await Promise.all(Array.from({ length: 20 }, () => createProjectDirectory(db, cache, serviceTables()).usableBy('tienda_norte', '1')));
    expect(found.every(({ project }) => project.slug === 'tienda_norte')).toBe(true);
    expect(lookups()).toBe(1);
  });

  it('does not cache unknown projects, so random names cannot evict the known ones', async () => {
    const { db, lookups } = counted();
    const cache = createProjectCache(60_000, serviceTables());
    const projects = createProjectDirectory(db, cache, serviceTables());
    await projects.usableBy('tienda_norte', '1');
    for (let i = 0; i < 50; i++) await expect(projects.usableBy(`nope_${i}`, '1')).rejects.toBeInstanceOf(NotFoundError);
    await expect(projects.usableBy('nope_0', '1')).rejects.toBeInstanceOf(NotFoundError);
    expect(lookups()).toBe(1 + 50 + 1); // every unknown name is asked again
    expect(cache!.size).toBe(1);
    expect((await projects.usableBy('tienda_norte', '1')).cache).toBe('hit');
  });

  it('stays within its bound', async () => {
    const cache = createProjectCache(60_000, serviceTables())!;
    expect(cache.max).toBe(1_000);
  });
});

describe('caches in the app', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
  });
  afterAll(() => test?.drop());

  const pendingCount = async (app: ReturnType<typeof buildApp>) => {
    const response = await ask(app, question('¿Cuántas órdenes pendientes hay?', 'tienda_norte'));
    expect(response.status).toBe(200);
    return ((await response.json()) as { datos: { count: number } }).datos.count;
  };
  const addPendingOrder = () =>
    test.db.query("INSERT INTO orders (project, status, amount, customer) VALUES ('tienda_norte', 'pending', 1, 'Nuevo')");

  it('answers from the database every time when RESULT_CACHE_TTL_MS is 0 (the default)', async () => {
    const app = buildApp(test.db);
    const before = await pendingCount(app);
    await addPendingOrder();
    expect(await pendingCount(app)).toBe(before + 1);
  });

  it('reuses a catalogue answer within RESULT_CACHE_TTL_MS', async () => {
    const app = buildApp(test.db, { RESULT_CACHE_TTL_MS: '600000' });
    const before = await pendingCount(app);
    await addPendingOrder();
    expect(await pendingCount(app)).toBe(before);
    expect(await pendingCount(buildApp(test.db))).toBe(before + 1);
  });

  it('applies project access changes within PROJECT_CACHE_TTL_MS, immediately when 0', async () => {
    const cached = buildApp(test.db, { PROJECT_CACHE_TTL_MS: '600000' });
    const uncached = buildApp(test.db, { PROJECT_CACHE_TTL_MS: '0' });
    const asUser7 = (app: ReturnType<typeof buildApp>) =>
      ask(app, question('¿Cuántas órdenes hay?', 'logistica_sur', '7'), { token: accessToken(7) });
    expect((await asUser7(cached)).status).toBe(200);
    await test.db.query("UPDATE chat_api.projects SET open_to_all = false WHERE slug = 'logistica_sur'");
    try {
      expect((await asUser7(uncached)).status).toBe(403);
      expect((await asUser7(cached)).status).toBe(200);
    } finally {
      await test.db.query("UPDATE chat_api.projects SET open_to_all = true WHERE slug = 'logistica_sur'");
    }
  });
});

describe('single-flight for semantic queries', () => {
  let test: TestDatabase;
  let project: Project;
  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
    ({ project } = await createProjectDirectory(test.db, createProjectCache(0, serviceTables()), serviceTables()).usableBy('tienda_norte', '1'));
  });
  afterAll(() => test?.drop());

  /** A database that counts the semantic queries (over the demo's orders) and can fail the next ones. */
  const counted = () => {
    let queries = 0;
    let failures = 0;
    const db: Database = {
      query: async (sql, params) => {
        if (/\borders\b/.test(sql) && !sql.includes('chat_api')) {
          queries++;
          if (failures > 0) {
            failures--;
            await Promise.resolve();
            throw new Error('connection reset');
          }
        }
        return test.db.query(sql, params);
      },
      exec: (script) => test.db.exec(script),
      close: async () => {},
    };
    return { db, queries: () => queries, failNext: (n: number) => (failures = n) };
  };
  const answererOn = (db: Database, caches = createAnswerCaches({ resultCacheTtlMs: 0 })) =>
    createAnswerer({ db, model: null, now: () => new Date(), timeZone: 'UTC', caches });
  // answer() reaches the query without awaiting anything first: calls made together are concurrent.
  const together = <T,>(n: number, call: () => Promise<T>) => Promise.allSettled(Array.from({ length: n }, call));
  const PENDING = '¿Cuántas órdenes pendientes hay?';

  it('sends concurrent identical questions as one query, and a later one as a new query', async () => {
    const { db, queries } = counted();
    const answer = answererOn(db);
    const results = await together(10, () => answer({ text: PENDING, project }));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const counts = results.map((r) => (r.status === 'fulfilled' && 'datos' in r.value ? r.value.datos : undefined));
    expect(new Set(counts.map((c) => JSON.stringify(c))).size).toBe(1);
    expect(queries()).toBe(1);
    // Settled queries are not kept: the next question reads the database again.
    await test.db.query("INSERT INTO orders (project, status, amount, customer) VALUES ('tienda_norte', 'pending', 1, 'Nuevo')");
    const later = await answer({ text: PENDING, project });
    expect(queries()).toBe(2);
    expect('datos' in later && later.datos).toEqual({ count: (counts[0] as { count: number }).count + 1 });
  });

  it('does not share between different queries, tenants or database handles', async () => {
    const { db, queries } = counted();
    const caches = createAnswerCaches({ resultCacheTtlMs: 0 });
    const answer = answererOn(db, caches);
    const otherTenant: Project = { ...project, semantic: { ...project.semantic!, tenant: 'logistica_sur' } };
    const other = counted();
    await Promise.all([
      answer({ text: PENDING, project }),
      answer({ text: '¿Cuántas órdenes canceladas hay?', project }),
      answer({ text: PENDING, project: otherTenant }),
      answererOn(other.db, caches)({ text: PENDING, project }), // same caches, another request's connection (Workers)
    ]);
    expect(queries()).toBe(3);
    expect(other.queries()).toBe(1);
  });

  it("gives a failed query's error to every waiter, and the next question retries", async () => {
    const { db, queries, failNext } = counted();
    const answer = answererOn(db);
    failNext(1);
    const results = await together(5, () => answer({ text: PENDING, project }));
    expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(Array(5).fill('connection reset'));
    expect(queries()).toBe(1);
    const retried = await answer({ text: PENDING, project });
    expect(retried.fuente).toBe('database');
    expect(queries()).toBe(2);
  });

  it("runs the shared query without any request's signal: a waiter that gives up does not cancel it for the others", async () => {
    const { db, queries } = counted();
    const answer = answererOn(db);
    const gone = new AbortController();
    gone.abort();
    const [first, second] = await Promise.allSettled([answer({ text: PENDING, project, signal: gone.signal }), answer({ text: PENDING, project })]);
    expect(second.status === 'fulfilled' && second.value.fuente).toBe('database');
    expect(first.status).toBe('fulfilled'); // a database answer is never aborted: the request's deadline stops waiting for it instead
    expect(queries()).toBe(1);
  });

  it('keeps working under the result cache: concurrent misses still send one query', async () => {
    const { db, queries } = counted();
    const answer = answererOn(db, createAnswerCaches({ resultCacheTtlMs: 60_000 }));
    await together(5, () => answer({ text: PENDING, project }));
    await answer({ text: PENDING, project });
    expect(queries()).toBe(1);
  });
});
