/**
 * Rate limiting: one counter per key and window.
 *
 * Algorithm (every store): a fixed window per key that opens at the key's first hit and lasts
 * `windowSeconds`; each hit adds one and is allowed while the count is at most `limit`. Chosen
 * over a sliding-window counter because it is exact, needs one counter per key (one INCR in
 * Redis, one small object in memory), reports an exact `remaining` and reset time for the
 * RateLimit header fields, and behaves the same in every store. Its known cost: a client can
 * send up to 2 × limit across one window boundary, acceptable for per-minute API quotas.
 * Windows open per key, so they do not all reset on the same second (no thundering herd).
 */
export type RateLimitResult = {
  allowed: boolean;
  /**
   * Hits left in the window after this one; undefined when the store cannot tell (the
   * Cloudflare binding, or a store that failed open).
   */
  remaining?: number;
  /** Whole seconds until the window ends (an upper bound when `remaining` is undefined). */
  resetSeconds: number;
};

export interface RateLimitStore {
  /** Counts one hit on `key` and says whether it is within `limit` per `windowSeconds`; atomic per key. */
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
}

/** A structured log line, the shape the app's `log` dependency takes. */
export type RateLimitLog = (entry: Record<string, unknown>) => void;

/**
 * Limits how often a repeating warning is logged: the first one at once, then at most one
 * per `intervalMs`, each saying how many were left out in between.
 */
export function throttledWarning(log: RateLimitLog, msg: string, intervalMs = 10_000, now: () => number = Date.now) {
  let lastAt = -Infinity;
  let suppressed = 0;
  return (error: unknown) => {
    const t = now();
    if (t - lastAt < intervalMs) {
      suppressed++;
      return;
    }
    log({
      level: 'warn',
      msg,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      ...(suppressed > 0 ? { suppressed } : {}),
    });
    lastAt = t;
    suppressed = 0;
  };
}
