import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodePostgresDatabase } from '../src/adapters/db/node-postgres.js';
import type { Database } from '../src/adapters/db/database.js';
import { ask, buildApp, question, type Settings } from './support/app.js';
import { runAdminStatement } from '../scripts/pg-admin.js';
import { createSeededDatabase, createTestDatabase, openServerDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { cleanEnv, startProcess } from './support/processes.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { TEST_SECRET, accessToken } from './support/tokens.js';
import { waitFor } from './support/wait.js';

const SEED_QUESTION = question('¿Cuántas órdenes pendientes hay?');
const GENERAL = question('Explícame qué es una orden inbound', 'conocimiento_general');
const problemType = async (response: Response) => ((await response.json()) as { type: string }).type;

/** A request that must settle: a hang fails the test instead of stalling the suite. */
function settled<T>(work: T | Promise<T>, ms = 15_000): Promise<T> {
  return Promise.race([Promise.resolve(work), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
}

describe('database faults, through a TCP proxy the test controls', () => {
  let test: TestDatabase;
  let proxy: TcpProxy;
  let db: Database;
  let app: ReturnType<typeof buildApp>;
  let proxiedUrl: string;

  beforeAll(async () => {
    test = await createSeededDatabase('postgres');
    const target = new URL(test.url!);
    proxy = await new TcpProxy({ host: target.hostname, port: Number(target.port) }).start();
    const url = new URL(test.url!);
    url.port = String(proxy.port);
    proxiedUrl = url.toString();
    db = createNodePostgresDatabase({ connectionString: proxiedUrl, max: 5, connectTimeoutMs: 1_000, statementTimeoutMs: 500 });
    app = buildApp(db, { PROJECT_CACHE_TTL_MS: '0' });
  });
  afterEach(() => {
    proxy.mode = 'forward';
  });
  afterAll(async () => {
    await db?.close();
    await proxy?.stop();
    await test?.drop();
  });

  it('answers 503 quickly while the database refuses connections, and recovers by itself', async () => {
    proxy.mode = 'refuse';
    proxy.cut();
    const down = await settled(ask(app, SEED_QUESTION), 5_000);
    expect(down.status).toBe(503);
    expect(await problemType(down)).toBe('urn:chat-api:problem:database-unavailable');
    expect((await app.request('/ready')).status).toBe(503);

    proxy.mode = 'forward';
    expect((await ask(app, SEED_QUESTION)).status).toBe(200);
    expect((await app.request('/ready')).status).toBe(200);
  });

  it('answers 504, not a hang, when the database stops answering mid-connection', async () => {
    expect((await ask(app, SEED_QUESTION)).status).toBe(200); // pooled connections exist
    proxy.mode = 'blackhole';
    const hung = await settled(ask(app, SEED_QUESTION), 10_000);
    expect(hung.status).toBe(504);
    expect(await problemType(hung)).toBe('urn:chat-api:problem:database-timeout');
    proxy.mode = 'forward';
    proxy.cut(); // the swallowed bytes left those links unusable
    expect((await ask(app, SEED_QUESTION)).status).toBe(200);
  });

  it('settles every request when links are cut under load, then heals the pool', async () => {
    const inFlight = Array.from({ length: 100 }, (_, i) =>
      settled(
        (async () => {
          if (i === 30) proxy.cut();
          return (await ask(app, SEED_QUESTION)).status;
        })(),
      ),
    );
    const statuses = await Promise.all(inFlight);
    expect(statuses.every((s) => s === 200 || s === 503 || s === 504), JSON.stringify(statuses)).toBe(true);
    const after = await Promise.all(Array.from({ length: 20 }, async () => (await ask(app, SEED_QUESTION)).status));
    expect(after).toEqual(Array(20).fill(200));
  });

  it('says 503 on /ready while migrations are pending', async () => {
    const empty = await createTestDatabase('postgres');
    try {
      const response = await buildApp(empty.db).request('/ready');
      expect(response.status).toBe(503);
      expect(((await response.json()) as { detail: string }).detail).toMatch(/migrations pending: 0001_projects_and_orders/);
    } finally {
      await empty.drop();
    }
  });

  it('starts with the database down, reports it on /ready, and serves once it is back — without a restart', async () => {
    proxy.mode = 'refuse';
    const server = await startProcess('npm', ['start'], {
      env: cleanEnv({ DATABASE_URL: proxiedUrl, JWT_SECRET_KEY: TEST_SECRET, PORT: '0', DATABASE_CONNECT_TIMEOUT_MS: '1000' }),
      ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    });
    try {
      expect(server.output()).toMatch(/Database unreachable at start/);
      const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())![1]!;
      const chat = () =>
        fetch(`${base}/api/v1/chat`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${accessToken(1)}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(SEED_QUESTION),
        });
      expect((await fetch(`${base}/ready`)).status).toBe(503);
      expect((await settled(chat(), 5_000)).status).toBe(503);

      proxy.mode = 'forward';
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      expect((await chat()).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe.each(['postgres', 'neon'] as const)('pooled connections whose link died while idle, on the %s driver', (kind) => {
  let test: TestDatabase;
  let proxy: TcpProxy;
  const pools: Database[] = [];
  // Neon's adapter pools 2 connections; node-postgres gets 3, so a retry meets more than one dead link.
  const size = kind === 'neon' ? 2 : 3;

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    const target = new URL(test.url!);
    proxy = await new TcpProxy({ host: target.hostname, port: Number(target.port) }).start();
    await test.db.exec('CREATE TABLE writes (v int NOT NULL)');
  });
  afterAll(async () => {
    for (const pool of pools) await pool.close();
    await proxy?.stop();
    await test?.drop();
  });

  /** A new, empty pool to the test database through the proxy (Neon: through the WebSocket bridge too). */
  async function pool(): Promise<Database> {
    const url = new URL(test.url!);
    url.port = String(proxy.port);
    // `max` sizes the node-postgres pool; the Neon adapter keeps its own (as before).
    const db = await openServerDatabase(kind, url.toString(), { max: size, connectTimeoutMs: 2_000, statementTimeoutMs: 5_000 });
    pools.push(db);
    return db;
  }
  /** Leaves `size` idle connections in the pool: as many statements at once, each gets its own. */
  const warm = (db: Database) => Promise.all(Array.from({ length: size }, () => db.query('SELECT 1')));
  /**
   * Takes an advisory lock on the direct connection and holds it until the returned function
   * is called: a statement that waits for the lock is mid-statement for as long as the test needs.
   */
  async function holdLock(key: number): Promise<() => Promise<void>> {
    let locked!: () => void;
    let release!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const held = test.db.transaction!(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [key]);
      locked();
      await released;
    });
    await Promise.race([isLocked, held]);
    return async () => {
      release();
      await held;
    };
  }
  /** How many backends of the test database are waiting for that lock right now, running `sql`. */
  const waiting = async (sql: string) =>
    (
      await test.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND wait_event_type = 'Lock' AND query = $1",
        [sql],
      )
    )[0]!.n;
  const active = async (sql: string) =>
    (
      await test.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query = $1",
        [sql],
      )
    )[0]!.n;

  // The statement right after cut() runs before the driver has seen any close: every idle
  // connection it could be handed is dead, deterministically.
  it('runs a statement issued right after a cut on a fresh connection, every time', async () => {
    const db = await pool();
    for (let i = 0; i < 10; i++) {
      await warm(db);
      proxy.cut();
      expect(await db.query<{ ok: number }>('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    }
  });

  it('writes a statement retried after a cut exactly once', async () => {
    const db = await pool();
    for (let i = 0; i < 5; i++) {
      await warm(db);
      proxy.cut();
      await db.query('INSERT INTO writes (v) VALUES ($1)', [i]);
    }
    expect(await test.db.query<{ v: number }>('SELECT v FROM writes WHERE v < 100 ORDER BY v')).toEqual([0, 1, 2, 3, 4].map((v) => ({ v })));
  });

  it('starts a transaction issued right after a cut on a fresh connection', async () => {
    const db = await pool();
    for (let i = 0; i < 5; i++) {
      await warm(db);
      proxy.cut();
      expect(await db.transaction!((tx) => tx.query<{ ok: number }>('SELECT 1 AS ok'))).toEqual([{ ok: 1 }]);
    }
  });

  it('reports a link lost mid-statement on a fresh connection, without running the statement again', async () => {
    const db = await pool(); // empty: the statement gets a new connection
    const release = await holdLock(1);
    const insert = 'INSERT INTO writes (v) SELECT 100 FROM pg_advisory_xact_lock(1)';
    try {
      const write = db.query(insert);
      write.catch(() => {}); // awaited below, after the cut
      await waitFor(async () => (await waiting(insert)) === 1, { what: 'the INSERT to wait for the lock' });
      proxy.cut();
      await expect(write).rejects.toMatchObject({ name: 'DatabaseUnavailableError', kind: 'unavailable' });
    } finally {
      await release();
    }
    // The server finishes the INSERT although its client is gone: a retry would have doubled it.
    await waitFor(async () => (await active(insert)) === 0, { what: 'the INSERT to end on the server' });
    expect(await test.db.query('SELECT v FROM writes WHERE v = 100')).toEqual([{ v: 100 }]);
  });

  // A checked-out connection's lost link also emits 'error' on the client; unheard, it would
  // crash the process (vitest reports it as an unhandled error).
  it('fails a transaction whose link is lost mid-way as unavailable, without an unhandled error', async () => {
    const db = await pool();
    const release = await holdLock(2);
    const lock = 'SELECT pg_advisory_xact_lock(2)';
    try {
      const work = db.transaction!((tx) => tx.query(lock));
      work.catch(() => {}); // awaited below, after the cut
      await waitFor(async () => (await waiting(lock)) === 1, { what: 'the transaction to wait for the lock' });
      proxy.cut();
      await expect(work).rejects.toMatchObject({ name: 'DatabaseUnavailableError', kind: 'unavailable' });
    } finally {
      await release();
    }
  });
});

describe('a database with no connection slot left (too_many_connections)', () => {
  it.each(['postgres', 'neon'] as const)('answers 503 database-unavailable over %s, not a 500', async (kind) => {
    const test = await createSeededDatabase('postgres');
    const role = `chat_full_${process.pid}_${kind}`;
    await test.db.query(`DROP ROLE IF EXISTS ${role}`);
    // CONNECTION LIMIT 0: every connection is refused with SQLSTATE 53300, as on a server at max_connections.
    await test.db.query(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 0`);
    const url = new URL(test.url!);
    url.username = role;
    const db = await openServerDatabase(kind, url.toString(), { connectTimeoutMs: 2_000 });
    try {
      const response = await settled(ask(buildApp(db, { PROJECT_CACHE_TTL_MS: '0' }), SEED_QUESTION), 10_000);
      expect(response.status).toBe(503);
      expect(await problemType(response)).toBe('urn:chat-api:problem:database-unavailable');
    } finally {
      await db.close();
      await test.drop();
      await runAdminStatement(POSTGRES_ADMIN_URL, `DROP ROLE IF EXISTS ${role}`);
    }
  });
});

describe('model faults and the circuit breaker', () => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
    model = await new FakeOpenAI().start();
  });
  afterEach(() => {
    vi.useRealTimers();
    model.mode = 'ok';
    model.recoverAfter = undefined;
    model.retryAfter = '7';
  });
  afterAll(async () => {
    await model?.stop();
    await test?.drop();
  });
  const appWith = (settings: Settings = {}) =>
    buildApp(test.db, { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0', ...settings });

  it('opens after consecutive failures: fast 503s without calling the provider, database answers unaffected, then recovers', async () => {
    // The breaker reads Date.now (captured when the app is built): with the test moving the
    // clock, the circuit stays open until the cooldown is passed, however slow the machine.
    vi.useFakeTimers({ toFake: ['Date'] });
    const app = appWith({ MODEL_BREAKER_FAILURES: '2', MODEL_BREAKER_COOLDOWN_MS: '300' });
    model.mode = 'error500';
    expect((await ask(app, GENERAL)).status).toBe(502);
    expect((await ask(app, GENERAL)).status).toBe(502);

    const calls = model.requests.length;
    const open = await ask(app, GENERAL);
    expect(open.status).toBe(503);
    expect(await problemType(open)).toBe('urn:chat-api:problem:model-unavailable');
    expect(Number(open.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(model.requests.length).toBe(calls); // the provider was not called
    expect((await ask(app, SEED_QUESTION)).status).toBe(200);

    model.mode = 'ok';
    vi.setSystemTime(Date.now() + 300); // the cooldown passes
    expect((await ask(app, GENERAL)).status).toBe(200); // the trial call closes the circuit
    expect((await ask(app, GENERAL)).status).toBe(200);
  });

  it('bounds the whole request with REQUEST_TIMEOUT_MS and abandons the model call', async () => {
    model.mode = 'hang';
    const abandonedBefore = model.abandoned;
    const response = await settled(ask(appWith({ REQUEST_TIMEOUT_MS: '300', OPENAI_TIMEOUT_MS: '20000' }), GENERAL), 5_000);
    expect(response.status).toBe(504);
    expect(await problemType(response)).toBe('urn:chat-api:problem:request-timeout');
    // The fake server sees the closed connection a moment after the 504 is sent.
    await waitFor(() => model.abandoned > abandonedBefore, { what: 'the model call to be abandoned' });
    expect(model.abandoned).toBe(abandonedBefore + 1);
  });

  it('retries a throttled provider and answers once it recovers', async () => {
    model.mode = 'rate429';
    model.retryAfter = '0';
    model.recoverAfter = 1; // the first call is throttled, the retry succeeds
    const calls = model.requests.length;
    const response = await ask(appWith({ OPENAI_MAX_RETRIES: '2' }), GENERAL);
    expect(response.status).toBe(200);
    expect(model.requests.length - calls).toBe(2);
  });
});
