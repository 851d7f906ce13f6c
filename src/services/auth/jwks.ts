import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, type JSONWebKeySet, type JWSAlgorithm } from 'jose';
import { TokenRejected } from './token-rejected.js';

export type AuthLog = (entry: Record<string, unknown>) => void;

/** An unknown `kid` refetches the set at most this often, so made-up kids cannot hammer the URL. */
const UNKNOWN_KID_REFETCH_MS = 30_000;
/** After a failed fetch, the next attempt waits this long (requests meanwhile are refused). */
const FAILED_FETCH_RETRY_MS = 5_000;
const MAX_JWKS_BYTES = 256 * 1024;

export type JwksOptions = { url: string; algorithm: JWSAlgorithm; cacheSeconds: number; timeoutMs: number };

/**
 * The signing keys published at a JWKS URL. jose fetches them (timeout, no redirects, one fetch
 * at a time where the runtime allows sharing it), picks a key by `kid` and `alg`, and imports each
 * key once. When to refetch is decided here, on the verifier's clock: jose's cache and cooldown
 * run on Date.now(), so they are switched off (Infinity) and `reload()` is called instead.
 */
export class JwksKeys {
  private readonly remote: ReturnType<typeof createRemoteJWKSet>;
  private fetchedAt = -Infinity;
  private attemptedAt = -Infinity;
  private failed = false;
  private lastError: unknown;

  constructor(private readonly options: JwksOptions) {
    this.remote = createRemoteJWKSet(new URL(options.url), {
      timeoutDuration: options.timeoutMs,
      cacheMaxAge: Infinity,
      cooldownDuration: Infinity,
      [customFetch]: (url, init) => fetchSigningKeys(url, init, options.algorithm),
    });
  }

  /**
   * The trusted key named `kid` ("" for the set's key without a kid, as PyJWKClient matches a
   * token without kid); refuses unknown kids and tokens we cannot check right now.
   */
  async keyFor(kid: string, nowMs: number, log: AuthLog): Promise<CryptoKey> {
    const fresh = () => nowMs - this.fetchedAt < this.options.cacheSeconds * 1000;
    if (!fresh() && nowMs - this.attemptedAt >= (this.failed ? FAILED_FETCH_RETRY_MS : 0)) await this.refresh(nowMs, log);
    if (!fresh()) throw new TokenRejected('signing keys unavailable');
    try {
      return await this.select(kid);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || nowMs - this.attemptedAt < UNKNOWN_KID_REFETCH_MS) throw error;
      await this.refresh(nowMs, log);
      return this.select(kid);
    }
  }

  /** When the keys held now are due for a refetch (ms on the verifier's clock). */
  freshUntil(): number {
    return this.fetchedAt + this.options.cacheSeconds * 1000;
  }

  private async select(kid: string): Promise<CryptoKey> {
    try {
      return await this.remote({ alg: this.options.algorithm, kid });
    } catch (error) {
      // Several keys under one kid: the first that imports, as PyJWKClient takes the first match.
      if (error instanceof errors.JWKSMultipleMatchingKeys) for await (const key of error) return key;
      throw error;
    }
  }

  private async refresh(nowMs: number, log: AuthLog): Promise<void> {
    this.attemptedAt = nowMs; // before any await: concurrent callers see the attempt
    try {
      await this.remote.reload();
      this.fetchedAt = nowMs;
      this.failed = false;
    } catch (error) {
      this.failed = true;
      // Callers that shared one fetch share its error: one log line per failed fetch.
      if (error !== this.lastError) {
        log({ level: 'error', msg: 'signing keys unavailable', jwks_url: this.options.url, error: error instanceof Error ? error.message : String(error) });
      }
      this.lastError = error;
    }
  }
}

/** Members a public signing key may carry; anything else (`d`, …) is dropped, never imported. */
const PUBLIC_MEMBERS = new Set(['kty', 'kid', 'use', 'alg', 'key_ops', 'n', 'e', 'crv', 'x', 'y']);

/**
 * jose's fetch of the JWKS, where its answer is checked: HTTP 200, at most 256 KiB, a JSON object
 * with a "keys" array holding at least one key jose would use for the algorithm. Keys keep only
 * their public members, and a key without kid is filed under kid "" (see keyFor). Failures name
 * the problem for the log.
 */
async function fetchSigningKeys(url: string, init: RequestInit, algorithm: JWSAlgorithm): Promise<Response> {
  const response = await fetch(url, init); // jose's init: GET, redirect "manual" (a redirect is a failure), timeout signal
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`JWKS answered HTTP ${response.status}`);
  }
  if (Number(response.headers.get('content-length') ?? 0) > MAX_JWKS_BYTES) {
    await response.body?.cancel();
    throw new Error('JWKS larger than 256 KiB');
  }
  const text = await response.text();
  if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS larger than 256 KiB');
  const document = parseJson(text);
  if (!isObject(document) || !Array.isArray(document.keys)) throw new Error('JWKS is not a JSON object with a "keys" array');
  const jwks: JSONWebKeySet = { keys: document.keys.filter(isObject).flatMap(publicKey) };
  // jose's own choice for a token without kid: one key, or several (JWKSMultipleMatchingKeys).
  const usable = await createLocalJWKSet(jwks)({ alg: algorithm }).then(
    () => true,
    (error) => error instanceof errors.JWKSMultipleMatchingKeys,
  );
  if (!usable) throw new Error(`JWKS has no signing key for ${algorithm}`);
  return Response.json(jwks);
}

function publicKey(key: Record<string, unknown>): JSONWebKeySet['keys'] {
  const { kid = '' } = key;
  if (typeof kid !== 'string' || (kid === '' && key.kid !== undefined)) return []; // "" stands for "no kid"
  const members = Object.entries(key).filter(([name]) => PUBLIC_MEMBERS.has(name));
  return [{ ...Object.fromEntries(members), kid } as JSONWebKeySet['keys'][number]];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
