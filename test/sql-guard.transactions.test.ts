import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transaction, TransactionOptions } from '../src/adapters/db/database.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.js';

/** Database.transaction, which guarded SQL runs on: the same contract on every adapter. */
describe.each(DATABASE_KINDS)('transactions on the %s PostgreSQL', (kind) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
    await test.db.exec('CREATE TABLE t (v int)');
  });
  afterAll(async () => {
    await test?.drop();
  });
  const values = async () => (await test.db.query<{ v: number }>('SELECT v FROM t ORDER BY v')).map((r) => r.v);
  const transaction = <T>(work: (tx: Transaction) => Promise<T>, options?: TransactionOptions) => test.db.transaction!(work, options);

  it('commits what the work did and returns its result', async () => {
    await test.db.exec('TRUNCATE t');
    const result = await transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES ($1)', [1]);
      return tx.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
    });
    expect(result).toEqual([{ n: 1 }]);
    expect(await values()).toEqual([1]);
  });

  it('rolls back and rethrows when the work throws, and stays usable', async () => {
    await test.db.exec('TRUNCATE t');
    const failure = new Error('boom');
    await expect(
      transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (2)');
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(transaction((tx) => tx.query('SELECT 1/0'))).rejects.toThrow(/division by zero/);
    expect(await values()).toEqual([]);
    expect(await test.db.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('ends with ROLLBACK when asked, even on success', async () => {
    await test.db.exec('TRUNCATE t');
    expect(await transaction((tx) => tx.query('INSERT INTO t VALUES (3) RETURNING v'), { rollback: true })).toEqual([{ v: 3 }]);
    expect(await values()).toEqual([]);
  });

  it('runs every statement on one connection: SET LOCAL holds until the end, and not after', async () => {
    const inside = await transaction(async (tx) => {
      await tx.query("SELECT set_config('chat.test', 'inside', true)");
      return tx.query<{ value: string }>("SELECT current_setting('chat.test') AS value");
    });
    expect(inside).toEqual([{ value: 'inside' }]);
    const after = await test.db.query<{ value: string | null }>("SELECT current_setting('chat.test', true) AS value");
    expect(after[0]!.value ?? '').toBe('');
  });

  it('starts READ ONLY when asked', async () => {
    await expect(transaction((tx) => tx.query('INSERT INTO t VALUES (4)'), { readOnly: true })).rejects.toThrow(/read-only transaction/);
    expect(await transaction((tx) => tx.query('SHOW transaction_read_only'), { readOnly: true })).toEqual([{ transaction_read_only: 'on' }]);
  });

  it('says whether the engine enforces statement_timeout', () => {
    expect(test.db.enforcesStatementTimeout).toBe(kind !== 'embedded');
  });
});
