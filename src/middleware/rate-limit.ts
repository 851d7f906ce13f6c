import type { Context } from 'hono';
import { throttledWarning, type RateLimitLog, type RateLimitResult, type RateLimitStore } from '../adapters/ratelimit/store.js';

/**
 * Header fields follow draft-ietf-httpapi-ratelimit-headers-11 (23 May 2026), structured-field
 * syntax (RFC 9651):
 *   RateLimit-Policy: "user";q=60;w=60, "project";q=600;w=60   (every enabled policy)
 *   RateLimit: "user";r=12;t=34                               (the tightest policy of this request)
 * and Retry-After (delay-seconds) on 429, never earlier than the end of the effective window.
 */

export type RateLimitPolicy = {
  /** Names the policy in the header fields and prefixes its keys (`user:<id>`): letters, digits, `_`, `-`. */
  name: string;
  /** Requests allowed per window; 0 disables the policy. */
  limit: number;
  windowSeconds: number;
};

/** What a 429 needs, handed to `onLimited`. */
export type RateLimited = {
  policy: RateLimitPolicy;
  key: string;
  retryAfterSeconds: number;
  /** For the problem's `detail`; names the policy and the wait, never other users' data. */
  detail: string;
  /** Retry-After, RateLimit and RateLimit-Policy, ready to send. */
  headers: Record<string, string>;
};

export type RateLimiterOptions = {
  store: RateLimitStore;
  /** Evaluated in this order; a request is refused by the first policy it exceeds and later ones are not counted. */
  policies: readonly RateLimitPolicy[];
  /** The error to throw when a policy is exceeded (the app maps it to its problem answer). */
  onLimited: (limited: RateLimited, c: Context) => Error;
  /** Receives a warning when the store fails (the request is then allowed). */
  log?: RateLimitLog;
};

/** Keys per policy name for one request: `{ user: '42' }`; missing or empty values skip that policy. */
export type RateLimitKeys = Partial<Record<string, string | undefined>>;

export type RateLimiter = {
  /** The enabled policies (limit > 0), in evaluation order. */
  readonly policies: readonly RateLimitPolicy[];
  /** The RateLimit-Policy field value; undefined when every policy is disabled. */
  readonly policyHeader: string | undefined;
  /**
   * Applies the policies for `keys` (from middleware after authentication, or from inside a
   * handler once the user may use the project), sets the header fields on the response being
   * built, and throws `onLimited`'s error when one is exceeded.
   */
  enforce(c: Context, keys: RateLimitKeys): Promise<void>;
};

const POLICY_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

type Outcome = { policy: RateLimitPolicy; result: RateLimitResult };

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  for (const policy of options.policies) {
    if (!POLICY_NAME.test(policy.name)) throw new Error(`rate limit policy name "${policy.name}" must be 1..32 letters, digits, _ or -`);
    if (!Number.isSafeInteger(policy.limit) || policy.limit < 0) throw new Error(`rate limit "${policy.name}": limit must be an integer ≥ 0`);
    if (!Number.isSafeInteger(policy.windowSeconds) || policy.windowSeconds < 1) {
      throw new Error(`rate limit "${policy.name}": windowSeconds must be an integer ≥ 1`);
    }
  }
  const policies = options.policies.filter((policy) => policy.limit > 0);
  const policyHeader = policies.length > 0 ? policies.map((p) => `"${p.name}";q=${p.limit};w=${p.windowSeconds}`).join(', ') : undefined;
  const { onLimited } = options;
  const warn = throttledWarning(options.log ?? (() => {}), 'rate limit store failed: allowing the request (fail-open)');
  // What each request has been counted against so far (middleware, then the handler).
  const outcomes = new WeakMap<Request, Outcome[]>();

  async function hit(policy: RateLimitPolicy, key: string): Promise<RateLimitResult> {
    try {
      return await options.store.hit(key, policy.limit, policy.windowSeconds);
    } catch (error) {
      // Stores fail open themselves; this covers any other store that throws.
      warn(error);
      return { allowed: true, resetSeconds: policy.windowSeconds };
    }
  }

  async function enforce(c: Context, keys: RateLimitKeys): Promise<void> {
    if (!policyHeader) return;
    const seen = outcomes.get(c.req.raw) ?? [];
    outcomes.set(c.req.raw, seen);
    for (const policy of policies) {
      const id = keys[policy.name];
      if (!id) continue;
      const key = `${policy.name}:${id}`;
      const result = await hit(policy, key);
      seen.push({ policy, result });
      if (!result.allowed) {
        const retryAfterSeconds = Math.max(1, result.resetSeconds);
        const headers = {
          'Retry-After': String(retryAfterSeconds),
          RateLimit: serviceLimit(policy, 0, retryAfterSeconds),
          'RateLimit-Policy': policyHeader,
        };
        setHeaders(c, headers);
        const detail = `${policy.name} rate limit exceeded: at most ${policy.limit} requests per ${policy.windowSeconds} s; retry in ${retryAfterSeconds} s`;
        throw onLimited({ policy, key, retryAfterSeconds, detail, headers }, c);
      }
    }
    const tightest = tightestKnown(seen);
    setHeaders(c, {
      'RateLimit-Policy': policyHeader,
      RateLimit: tightest ? serviceLimit(tightest.policy, tightest.result.remaining ?? 0, tightest.result.resetSeconds) : undefined,
    });
  }

  return { policies, policyHeader, enforce };
}

/** The policy with the least known remaining quota (the first one on a tie). */
function tightestKnown(outcomes: readonly Outcome[]): Outcome | undefined {
  let tightest: Outcome | undefined;
  for (const outcome of outcomes) {
    if (outcome.result.remaining === undefined) continue;
    if (!tightest || outcome.result.remaining < (tightest.result.remaining ?? Infinity)) tightest = outcome;
  }
  return tightest;
}

function serviceLimit(policy: RateLimitPolicy, remaining: number, resetSeconds: number): string {
  return `"${policy.name}";r=${remaining};t=${resetSeconds}`;
}

/** Sets (or, for undefined, removes) header fields on the response being built. */
function setHeaders(c: Context, headers: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
}
