import { createClient } from 'redis';
import { throttledWarning, type RateLimitLog, type RateLimitResult, type RateLimitStore } from './store.js';

/**
 * One fixed window per key (see store.ts), atomic in Redis: INCR, then the window's expiry is
 * set by the hit that opened it (or repaired if the key somehow has none). Replies
 * {count, ms until the window ends}.
 */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

export type RedisRateLimitStoreOptions = {
  /** `redis://` or `rediss://` URL (RATE_LIMIT_REDIS_URL). */
  url: string;
  /** Prepended to every key (default `chat-api:ratelimit:`). */
  prefix?: string;
  /** Bound on connecting and on each hit, in ms (default 200): a dead Redis never holds a request longer. */
  timeoutMs?: number;
  /** Receives the fail-open warnings (at most one per 10 s). */
  log?: RateLimitLog;
};

export type RedisRateLimitStore = RateLimitStore & {
  /** True while connected; hits fail open otherwise. */
  readonly ready: boolean;
  /** Disconnects at once (pending hits fail open). */
  close(): Promise<void>;
};

/**
 * A rate-limit store shared by every process that uses the same Redis (Node, Bun, Deno; not
 * Workers, which have no TCP client for it).
 *
 * Fails OPEN: when Redis is down, slow or answers nonsense, the hit is allowed and a warning is
 * logged. A rate limiter protects capacity; refusing every request because its own bookkeeping
 * is unavailable would turn a Redis outage into a full API outage. Each hit is bounded by
 * `timeoutMs`, commands are never queued while disconnected (they fail at once), and the
 * client reconnects in the background.
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RedisRateLimitStore {
  const prefix = options.prefix ?? 'chat-api:ratelimit:';
  const timeoutMs = options.timeoutMs ?? 200;
  const warn = throttledWarning(options.log ?? (() => {}), 'rate limit store (Redis) unavailable: allowing requests (fail-open)');

  const client = createClient({
    url: options.url,
    socket: {
      connectTimeout: timeoutMs,
      // Keep trying in the background, at most a second apart, so limits return soon after Redis does.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1_000),
    },
    // Reject commands at once while disconnected instead of queueing them until Redis is back.
    disableOfflineQueue: true,
    commandOptions: { timeout: timeoutMs },
  });
  // Without a listener an 'error' event would crash the process; connection errors repeat on every retry.
  client.on('error', warn);
  client.connect().catch(() => {
    // Reported through 'error'; rejected only when closed before connecting.
  });

  let scriptSha: Promise<string> | undefined;
  async function runScript(key: string, windowMs: number): Promise<unknown> {
    const args = ['1', key, String(windowMs)];
    const sha = await (scriptSha ??= sha1Hex(HIT_SCRIPT));
    try {
      return await client.sendCommand(['EVALSHA', sha, ...args]);
    } catch (error) {
      // First use on this server (or after SCRIPT FLUSH): EVAL also caches the script.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return client.sendCommand(['EVAL', HIT_SCRIPT, ...args]);
      throw error;
    }
  }

  return {
    get ready() {
      return client.isReady;
    },
    async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
      const windowMs = windowSeconds * 1000;
      try {
        const reply = await withTimeout(runScript(prefix + key, windowMs), timeoutMs);
        if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
          throw new Error(`unexpected reply from the rate limit script: ${JSON.stringify(reply)}`);
        }
        const [count, ttlMs] = reply;
        return {
          allowed: count <= limit,
          remaining: Math.max(0, limit - count),
          resetSeconds: Math.max(1, Math.ceil(Math.min(ttlMs, windowMs) / 1000)),
        };
      } catch (error) {
        warn(error);
        return { allowed: true, resetSeconds: windowSeconds };
      }
    },
    async close() {
      client.destroy();
    },
  };
}

/** Rejects after `ms` even if the client's own timeouts did not fire (belt and braces). */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
