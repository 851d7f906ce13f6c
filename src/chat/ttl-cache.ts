/**
 * A small in-memory cache whose entries expire after `ttlMs`. Bounded: when full it simply
 * starts over, which is enough for keys that repeat (project slugs, popular questions).
 * Created per app instance, never at module scope, so it also works on Workers.
 */
export function createTtlCache<V>(ttlMs: number, maxEntries = 1024, now: () => number = Date.now) {
  const entries = new Map<string, { value: V; expires: number }>();
  return {
    /** The cached value, or what `load` returns (then cached); concurrent misses each load. */
    async get(key: string, load: () => Promise<V>): Promise<V> {
      const hit = entries.get(key);
      if (hit && hit.expires > now()) return hit.value;
      const value = await load();
      if (entries.size >= maxEntries) entries.clear();
      entries.set(key, { value, expires: now() + ttlMs });
      return value;
    },
  };
}
