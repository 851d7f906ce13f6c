import { describe, expect, it } from 'vitest';
import { createBatchedLog, type LogSink } from '../../src/adapters/log/batched.js';

/** An output the test controls: it takes at most `room` more bytes (a pipe filling up). */
function fakeSink() {
  const writes: string[] = [];
  const syncWrites: string[] = [];
  const decoder = new TextDecoder();
  const state = { room: Infinity };
  const sink: LogSink = {
    write: (bytes) => {
      const taken = Math.min(bytes.length, state.room);
      state.room -= taken;
      if (taken > 0) writes.push(decoder.decode(bytes.subarray(0, taken)));
      return taken;
    },
    writeSync: (bytes) => void syncWrites.push(decoder.decode(bytes)),
  };
  return { sink, writes, syncWrites, state, all: () => writes.join('') };
}

/** Callbacks the test runs by hand: "the end of the tick", "the retry". */
function manual() {
  const pending: (() => void)[] = [];
  return { later: (flush: () => void) => void pending.push(flush), run: () => pending.splice(0).forEach((flush) => flush()) };
}

const lines = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
const TIME = new Date('2026-01-15T12:00:00.000Z');

describe('the batched log', () => {
  it('writes the lines of one tick in one write, each the JSON line console.log wrote', () => {
    const { sink, writes } = fakeSink();
    const tick = manual();
    const log = createBatchedLog({ sink, now: () => TIME, schedule: tick.later });
    log.log({ level: 'info', msg: 'request', status: 200 });
    log.log({ level: 'error', msg: 'request', status: 500, detail: 'ñandú' });
    expect(writes).toEqual([]);
    tick.run();
    expect(writes).toEqual([
      '{"time":"2026-01-15T12:00:00.000Z","level":"info","msg":"request","status":200}\n' +
        '{"time":"2026-01-15T12:00:00.000Z","level":"error","msg":"request","status":500,"detail":"ñandú"}\n',
    ]);
  });

  it('writes a large batch at once, without waiting for the tick', () => {
    const { sink, writes, all } = fakeSink();
    const tick = manual();
    const log = createBatchedLog({ sink, flushSize: 1_000, schedule: tick.later });
    for (let i = 0; i < 20; i++) log.log({ msg: 'x'.repeat(90), i });
    expect(writes.length).toBeGreaterThan(0);
    tick.run();
    expect(lines(all()).map((entry) => entry.i)).toEqual([...Array(20).keys()]);
  });

  it('keeps order when the output takes part of a write, and retries the rest', () => {
    const { sink, state, all } = fakeSink();
    const tick = manual();
    const retry = manual();
    const log = createBatchedLog({ sink, schedule: tick.later, retry: retry.later });
    state.room = 50; // part of the first line
    for (let i = 0; i < 5; i++) log.log({ msg: 'request', i });
    tick.run();
    log.log({ msg: 'request', i: 5 });
    tick.run(); // waits for the retry
    expect(all()).toHaveLength(50);
    state.room = Infinity;
    retry.run();
    expect(lines(all()).map((entry) => entry.i)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('holds at most maxBuffered while the output is full, drops and counts the rest, and says so', () => {
    const { sink, writes, state, all } = fakeSink();
    const tick = manual();
    const retry = manual();
    const log = createBatchedLog({ sink, maxBuffered: 2_000, now: () => TIME, schedule: tick.later, retry: retry.later });
    state.room = 0;
    const entry = { msg: 'y'.repeat(80) }; // a line of 124 bytes
    for (let i = 0; i < 100; i++) log.log(entry);
    tick.run();
    expect(writes).toEqual([]);
    expect(log.dropped()).toBe(100 - Math.floor(2_000 / 124));
    state.room = Infinity;
    retry.run();
    expect(all().length).toBeLessThanOrEqual(2_000 + 100); // the buffer, plus the notice
    const [notice, ...kept] = lines(all());
    expect(notice).toEqual({ time: TIME.toISOString(), level: 'warn', msg: 'log lines dropped', dropped: log.dropped() });
    expect(kept).toHaveLength(Math.floor(2_000 / 124));
    // Room again: nothing more is dropped.
    log.log({ msg: 'after' });
    tick.run();
    expect(lines(writes.at(-1)!)).toEqual([{ time: TIME.toISOString(), msg: 'after' }]);
    expect(log.dropped()).toBe(100 - 16);
  });

  it('close() writes everything and resolves once the output has taken it', async () => {
    const { sink, state, all } = fakeSink();
    const retry = manual();
    const log = createBatchedLog({ sink, schedule: () => {}, retry: retry.later }); // no tick ever runs: only close writes
    state.room = 10;
    log.log({ msg: 'one' });
    log.log({ msg: 'two' });
    let closed = false;
    const closing = log.close().then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    state.room = Infinity;
    retry.run();
    await closing;
    expect(lines(all()).map((entry) => entry.msg)).toEqual(['one', 'two']);
  });

  it('flushSync() writes what is still waiting, in order and synchronously (at exit)', () => {
    const { sink, writes, syncWrites, state } = fakeSink();
    const log = createBatchedLog({ sink, schedule: () => {}, retry: () => {} });
    state.room = 20;
    log.log({ msg: 'one' });
    void log.close();
    log.log({ msg: 'two' });
    log.flushSync();
    expect(lines(writes.join('') + syncWrites.join('')).map((entry) => entry.msg)).toEqual(['one', 'two']);
    log.flushSync();
    expect(syncWrites).toHaveLength(1);
  });
});
