import type { RateLimitResult, RateLimitStore } from './store.js';

export type MemoryRateLimitStoreOptions = {
  /** Most keys kept at once (default 10,000); past it the oldest window is dropped. */
  maxKeys?: number;
  /** How often expired windows are swept, in ms (default 10,000). */
  sweepIntervalMs?: number;
  /** The clock, in ms since the epoch; tests inject one. */
  now?: () => number;
};

export type MemoryRateLimitStore = RateLimitStore & {
  /** Keys currently held (for tests and metrics). */
  readonly size: number;
};

/**
 * The default store: counters in this process (or Worker isolate). Create it in a factory,
 * never at module scope. Memory is bounded: expired windows are swept every
 * `sweepIntervalMs`, and at `maxKeys` the oldest window is dropped (that key starts afresh:
 * under memory pressure the store leans towards allowing, like the Redis store when Redis is
 * down). Each `hit` runs synchronously, so it is atomic per key.
 *
 * Counts are per process: with several processes or isolates each has its own, so use the
 * Redis store (Node, Bun, Deno) or the Cloudflare binding (Workers) for a shared limit.
 */
export function createMemoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): MemoryRateLimitStore {
  const maxKeys = Math.max(1, options.maxKeys ?? 10_000);
  const sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
  const now = options.now ?? Date.now;
  // Insertion order = window start order: a renewed window is deleted and set again.
  const windows = new Map<string, { count: number; resetAt: number }>();
  let nextSweepAt = now() + sweepIntervalMs;

  const sweep = (t: number) => {
    for (const [key, window] of windows) if (window.resetAt <= t) windows.delete(key);
    nextSweepAt = t + sweepIntervalMs;
  };

  return {
    get size() {
      return windows.size;
    },
    async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
      const t = now();
      if (t >= nextSweepAt) sweep(t);
      let window = windows.get(key);
      if (!window || window.resetAt <= t) {
        if (window) windows.delete(key);
        if (windows.size >= maxKeys) {
          sweep(t);
          // Still full of live windows: drop the oldest.
          const oldest = windows.keys().next();
          if (windows.size >= maxKeys && !oldest.done) windows.delete(oldest.value);
        }
        window = { count: 0, resetAt: t + windowSeconds * 1000 };
        windows.set(key, window);
      }
      window.count++;
      return {
        allowed: window.count <= limit,
        remaining: Math.max(0, limit - window.count),
        resetSeconds: Math.max(1, Math.ceil((window.resetAt - t) / 1000)),
      };
    },
  };
}
