import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/adapters/db/database.js';
import { NotFoundError } from '../src/services/errors.js';
import { createProjectCache, createProjectDirectory } from '../src/services/projects.js';
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
