import { z } from 'zod';
import { KEY_KINDS, type AsymmetricAlgorithm } from './algorithms.js';
import { TokenRejected } from './token-rejected.js';

export type AuthLog = (entry: Record<string, unknown>) => void;

/** An unknown `kid` refetches the set at most this often, so made-up kids cannot hammer the URL. */
export const UNKNOWN_KID_REFETCH_MS = 30_000;
/** After a failed fetch, the next attempt waits this long (requests meanwhile are refused). */
export const FAILED_FETCH_RETRY_MS = 5_000;
const MAX_JWKS_BYTES = 256 * 1024;

export type JwksOptions = { url: string; algorithm: AsymmetricAlgorithm; cacheSeconds: number; timeoutMs: number };

/**
 * The signing keys published at a JWKS URL, imported once per fetch and selected by `kid`.
 * Shared by every verifier of the isolate/process with the same options: on Workers the app
 * (and its verifier) is built per request, and the cache must outlive it.
 */
const shared = new Map<string, JwksKeys>();

export function jwksKeys(options: JwksOptions): JwksKeys {
  const id = `${options.algorithm} ${options.cacheSeconds} ${options.timeoutMs} ${options.url}`;
  let keys = shared.get(id);
  if (!keys) shared.set(id, (keys = new JwksKeys(options)));
  return keys;
}

export class JwksKeys {
  private keys: Map<string, CryptoKey> | undefined;
  private fetchedAt = -Infinity;
  private attemptedAt = -Infinity;
  private lastFailed = false;
  private inflight: Promise<void> | undefined;

  constructor(private readonly options: JwksOptions) {}

  /**
   * The trusted key named `kid` ("" for the set's key without a kid, as PyJWKClient matches a
   * token without kid); refuses unknown kids and tokens we cannot check right now.
   */
  async keyFor(kid: string, nowMs: number, log: AuthLog): Promise<CryptoKey> {
    const fresh = () => this.keys !== undefined && nowMs - this.fetchedAt < this.options.cacheSeconds * 1000;
    if (!fresh() && nowMs - this.attemptedAt >= (this.lastFailed ? FAILED_FETCH_RETRY_MS : 0)) await this.refresh(nowMs, log);
    if (fresh() && !this.keys!.has(kid) && nowMs - this.attemptedAt >= UNKNOWN_KID_REFETCH_MS) await this.refresh(nowMs, log);
    if (!fresh()) throw new TokenRejected('signing keys unavailable');
    const key = this.keys!.get(kid);
    if (!key) throw new TokenRejected('invalid token');
    return key;
  }

  /** One fetch at a time; concurrent callers wait for it. */
  private refresh(nowMs: number, log: AuthLog): Promise<void> {
    this.inflight ??= (async () => {
      this.attemptedAt = nowMs;
      try {
        this.keys = await this.fetchKeys();
        this.fetchedAt = nowMs;
        this.lastFailed = false;
      } catch (error) {
        this.lastFailed = true;
        log({ level: 'error', msg: 'signing keys unavailable', jwks_url: this.options.url, error: error instanceof Error ? error.message : String(error) });
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  private async fetchKeys(): Promise<Map<string, CryptoKey>> {
    const response = await fetch(this.options.url, {
      headers: { Accept: 'application/json' },
      redirect: 'manual', // a redirect is a failure: the configured URL is the only trusted one
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`JWKS answered HTTP ${response.status}`);
    }
    if (Number(response.headers.get('content-length') ?? 0) > MAX_JWKS_BYTES) {
      await response.body?.cancel();
      throw new Error('JWKS larger than 256 KiB');
    }
    const text = await response.text();
    if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS larger than 256 KiB');
    const document = jwksDocument.safeParse(parseJson(text));
    if (!document.success) throw new Error('JWKS is not a JSON object with a "keys" array');
    const keys = new Map<string, CryptoKey>();
    for (const candidate of document.data.keys) {
      const jwk = publicJwk(candidate, this.options.algorithm);
      if (!jwk || keys.has(jwk.kid)) continue; // first of a repeated kid (or of the kid-less keys) wins
      try {
        keys.set(jwk.kid, await crypto.subtle.importKey('jwk', jwk.key, KEY_KINDS[this.options.algorithm].importParams, false, ['verify']));
      } catch {
        // A malformed key is skipped like a key for another algorithm.
      }
    }
    if (keys.size === 0) throw new Error(`JWKS has no signing key for ${this.options.algorithm}`);
    return keys;
  }
}

const jwksDocument = z.object({ keys: z.array(z.unknown()).max(100) });

const jwkFields = z.object({
  kty: z.string(),
  kid: z.string().min(1).max(256).optional(),
  use: z.string().optional(),
  alg: z.string().optional(),
  key_ops: z.array(z.string()).optional(),
  n: z.string().optional(),
  e: z.string().optional(),
  crv: z.string().optional(),
  x: z.string().optional(),
  y: z.string().optional(),
});

/**
 * Only the public members of a JWKS entry meant for signatures with our algorithm (never a
 * private member such as `d`, which would make WebCrypto import a private key).
 */
function publicJwk(candidate: unknown, algorithm: AsymmetricAlgorithm): { kid: string; key: JsonWebKey } | undefined {
  const parsed = jwkFields.safeParse(candidate);
  if (!parsed.success) return undefined;
  const { kty, kid = '', use, alg, key_ops, n, e, crv, x, y } = parsed.data;
  const kind = KEY_KINDS[algorithm];
  if (kty !== kind.kty || (use !== undefined && use !== 'sig') || (alg !== undefined && alg !== algorithm)) return undefined;
  if (key_ops !== undefined && !key_ops.includes('verify')) return undefined;
  if (kty === 'RSA') return n && e ? { kid, key: { kty, n, e } } : undefined;
  if (crv !== kind.crv || !x) return undefined;
  if (kty === 'EC') return y ? { kid, key: { kty, crv, x, y } } : undefined;
  return { kid, key: { kty, crv, x } };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
