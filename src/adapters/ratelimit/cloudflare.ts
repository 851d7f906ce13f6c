import { throttledWarning, type RateLimitLog, type RateLimitResult, type RateLimitStore } from './store.js';

/**
 * The Workers Rate Limiting binding (`[[ratelimits]]` in wrangler.toml): `limit({ key })`
 * answers `{ success }`. Its limit and period (10 or 60 s) are set on the binding, not per
 * call, and its counts are per Cloudflare location and eventually consistent.
 */
export type CloudflareRateLimitBinding = {
  limit(options: { key: string }): Promise<{ success: boolean }>;
};

export type CloudflareRateLimitStoreOptions = {
  /**
   * One binding per policy, chosen by the key's prefix (`user:42` → `bindings.user`): a
   * binding has a single limit, so each policy needs its own. Configure each binding's
   * `limit`/`period` to match the policy (e.g. RATE_LIMIT_USER_PER_MINUTE and period 60).
   */
  bindings: Partial<Record<string, CloudflareRateLimitBinding>>;
  /** Serves keys whose policy has no binding (e.g. a per-isolate memory store); without it they are allowed. */
  fallback?: RateLimitStore;
  log?: RateLimitLog;
};

/**
 * Adapts the Cloudflare binding to RateLimitStore. The binding reports neither the remaining
 * quota nor the reset time, so `remaining` is undefined and `resetSeconds` is the policy's
 * window (an upper bound). A binding that throws fails open, like the Redis store.
 */
export function createCloudflareRateLimitStore(options: CloudflareRateLimitStoreOptions): RateLimitStore {
  const warn = throttledWarning(options.log ?? (() => {}), 'rate limit binding failed: allowing requests (fail-open)');
  return {
    async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
      const colon = key.indexOf(':');
      const binding = options.bindings[colon < 0 ? key : key.slice(0, colon)];
      if (!binding) return options.fallback ? options.fallback.hit(key, limit, windowSeconds) : { allowed: true, resetSeconds: windowSeconds };
      try {
        const { success } = await binding.limit({ key });
        return success ? { allowed: true, resetSeconds: windowSeconds } : { allowed: false, remaining: 0, resetSeconds: windowSeconds };
      } catch (error) {
        warn(error);
        return { allowed: true, resetSeconds: windowSeconds };
      }
    },
  };
}

/** True for a Workers Rate Limiting binding (an object with `limit()`), e.g. `env.RATE_LIMITER_USER`. */
export function isRateLimitBinding(value: unknown): value is CloudflareRateLimitBinding {
  return typeof value === 'object' && value !== null && 'limit' in value && typeof value.limit === 'function';
}
