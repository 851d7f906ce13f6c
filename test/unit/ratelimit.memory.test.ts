import { describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore } from '../../src/adapters/ratelimit/memory.js';

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('in-memory rate limit store', () => {
  it('allows `limit` hits per window, then refuses, counting down remaining', async () => {
    const clock = manualClock();
    const store = createMemoryRateLimitStore({ now: clock.now });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await store.hit('user:1', 3, 60));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
    expect(results.every((r) => r.resetSeconds === 60)).toBe(true);
  });

  it('reports the seconds left in the window and opens a new window when it ends', async () => {
    const clock = manualClock();
    const store = createMemoryRateLimitStore({ now: clock.now });
    expect(await store.hit('user:1', 2, 60)).toEqual({ allowed: true, remaining: 1, resetSeconds: 60 });
    clock.advance(25_500);
    expect(await store.hit('user:1', 2, 60)).toEqual({ allowed: true, remaining: 0, resetSeconds: 35 });
    clock.advance(34_000);
    expect(await store.hit('user:1', 2, 60)).toEqual({ allowed: false, remaining: 0, resetSeconds: 1 });
    clock.advance(500); // exactly at the end of the window: a new one opens
    expect(await store.hit('user:1', 2, 60)).toEqual({ allowed: true, remaining: 1, resetSeconds: 60 });
  });

  it('keeps separate counters per key (a user and a project, two users)', async () => {
    const clock = manualClock();
    const store = createMemoryRateLimitStore({ now: clock.now });
    for (let i = 0; i < 2; i++) await store.hit('user:1', 2, 60);
    expect((await store.hit('user:1', 2, 60)).allowed).toBe(false);
    expect(await store.hit('user:2', 2, 60)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await store.hit('project:dashboard_miempresa', 5, 60)).toMatchObject({ allowed: true, remaining: 4 });
    expect(await store.hit('project:tienda_norte', 5, 60)).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('is exact under concurrent hits (each hit is atomic)', async () => {
    const store = createMemoryRateLimitStore();
    const results = await Promise.all(Array.from({ length: 50 }, () => store.hit('project:p', 10, 60)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
  });

  it('sweeps expired windows, so memory does not grow with old keys', async () => {
    const clock = manualClock();
    const store = createMemoryRateLimitStore({ now: clock.now, sweepIntervalMs: 1_000 });
    for (let i = 0; i < 1_000; i++) await store.hit(`user:${i}`, 5, 10);
    expect(store.size).toBe(1_000);
    clock.advance(10_000);
    await store.hit('user:new', 5, 10);
    expect(store.size).toBe(1);
  });

  it('never holds more than maxKeys, dropping the oldest live window', async () => {
    const clock = manualClock();
    const store = createMemoryRateLimitStore({ now: clock.now, maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) {
      await store.hit(`user:${i}`, 1, 60);
      clock.advance(10);
      expect(store.size).toBeLessThanOrEqual(100);
    }
    expect(store.size).toBe(100);
    // The newest keys are still counted; the oldest were dropped and start afresh.
    expect((await store.hit('user:999', 1, 60)).allowed).toBe(false);
    expect((await store.hit('user:0', 1, 60)).allowed).toBe(true);
  });

  it('renews an expired key in place of growing', async () => {
    const clock = manualClock();
    const store = createMemoryRateLimitStore({ now: clock.now, maxKeys: 2 });
    await store.hit('user:a', 1, 1);
    await store.hit('user:b', 1, 60);
    clock.advance(1_000);
    // user:a's window is over: renewing it must not evict user:b's live window.
    expect((await store.hit('user:a', 1, 1)).allowed).toBe(true);
    expect((await store.hit('user:b', 1, 60)).allowed).toBe(false);
    expect(store.size).toBe(2);
  });
});
