import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../src/adapters/db/database.js';
import { createGroupCommit } from '../../src/services/group-commit.js';

/** A writer whose statements the test completes by hand, recording each batch. */
function manualWriter() {
  const batches: { items: string[]; finish: (error?: unknown) => void }[] = [];
  const write = (items: string[]) =>
    new Promise<void>((resolve, reject) => {
      batches.push({ items, finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { batches, write };
}

const settledState = async (promise: Promise<void>) => {
  let state = 'pending';
  promise.then(
    () => (state = 'written'),
    () => (state = 'failed'),
  );
  await new Promise((resolve) => setTimeout(resolve, 0));
  return state;
};

describe('group commit', () => {
  it('sends a lone write at once, and writes that arrive while batches are in flight together in the next one', async () => {
    const writer = manualWriter();
    const commit = createGroupCommit<string>({ write: writer.write, maxInFlight: 1, maxItems: 100, maxBytes: 1_000, sizeOf: () => 1 });
    const first = commit('a');
    await Promise.resolve();
    expect(writer.batches.map((b) => b.items)).toEqual([['a']]);
    const later = ['b', 'c', 'd'].map((item) => commit(item));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(writer.batches).toHaveLength(1); // the one slot is busy: b, c, d wait
    expect(await settledState(later[0]!)).toBe('pending');

    writer.batches[0]!.finish();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(writer.batches.map((b) => b.items)).toEqual([['a'], ['b', 'c', 'd']]);
    expect(await settledState(later[2]!)).toBe('pending'); // not written until its own batch commits
    writer.batches[1]!.finish();
    await Promise.all(later);
  });

  it('groups writes queued in the same turn of the event loop even with a free slot', async () => {
    const writer = manualWriter();
    const commit = createGroupCommit<string>({ write: writer.write, maxInFlight: 2, maxItems: 100, maxBytes: 1_000, sizeOf: () => 1 });
    const all = ['a', 'b', 'c'].map((item) => commit(item));
    await Promise.resolve();
    expect(writer.batches.map((b) => b.items)).toEqual([['a', 'b', 'c']]);
    writer.batches[0]!.finish();
    await Promise.all(all);
  });

  it('bounds a statement by items and by bytes; an item larger than the byte bound goes alone', async () => {
    const writer = manualWriter();
    const commit = createGroupCommit<string>({ write: writer.write, maxInFlight: 10, maxItems: 3, maxBytes: 10, sizeOf: (item) => item.length });
    const all = ['a', 'b', 'c', 'd', 'eeeeeeeeeeeeeeee', 'ffff', 'gggggg', 'h'].map((item) => commit(item));
    await Promise.resolve();
    expect(writer.batches.map((b) => b.items)).toEqual([['a', 'b', 'c'], ['d'], ['eeeeeeeeeeeeeeee'], ['ffff', 'gggggg'], ['h']]);
    for (const batch of writer.batches) batch.finish();
    await Promise.all(all);
  });

  it('writes the items of a failed batch one by one, so a bad item fails only its own caller', async () => {
    const written: string[][] = [];
    const commit = createGroupCommit<string>({
      maxInFlight: 1,
      maxItems: 100,
      maxBytes: 1_000,
      sizeOf: () => 1,
      write: async (items) => {
        written.push(items);
        if (items.includes('bad')) throw new Error('violates a constraint');
      },
    });
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((item) => commit(item)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(written).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('fails the whole batch at once when the database is unreachable (no retry one by one)', async () => {
    let statements = 0;
    const commit = createGroupCommit<string>({
      maxInFlight: 1,
      maxItems: 100,
      maxBytes: 1_000,
      sizeOf: () => 1,
      write: async () => {
        statements++;
        throw new DatabaseUnavailableError('unavailable', 'connection refused');
      },
    });
    const results = await Promise.allSettled(['a', 'b', 'c'].map((item) => commit(item)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(statements).toBe(1);
  });
});
