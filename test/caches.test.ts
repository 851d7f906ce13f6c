import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTtlCache } from '../src/chat/ttl-cache.js';
import { ask, buildApp, question } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { accessToken } from './support/tokens.js';

describe('createTtlCache', () => {
  it('reuses a value until it expires, then loads again', async () => {
    let clock = 0;
    let loads = 0;
    const cache = createTtlCache<number>(100, 10, () => clock);
    const load = async () => ++loads;
    expect(await cache.get('k', load)).toBe(1);
    clock = 99;
    expect(await cache.get('k', load)).toBe(1);
    clock = 100;
    expect(await cache.get('k', load)).toBe(2);
  });

  it('stays within its bound', async () => {
    let loads = 0;
    const cache = createTtlCache<number>(1_000, 2, () => 0);
    for (const key of ['a', 'b', 'c', 'a']) await cache.get(key, async () => ++loads);
    expect(loads).toBe(4); // 'a' was dropped when the cache started over at 'c'
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
    await test.db.query("UPDATE projects SET open_to_all = false WHERE slug = 'logistica_sur'");
    try {
      expect((await asUser7(uncached)).status).toBe(403);
      expect((await asUser7(cached)).status).toBe(200);
    } finally {
      await test.db.query("UPDATE projects SET open_to_all = true WHERE slug = 'logistica_sur'");
    }
  });
});
