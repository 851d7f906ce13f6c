import { base64url, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { LRUCache } from 'lru-cache';
import { ConfigError, type JwtAlgorithm } from '../../config.js';
import { findDuplicateKey } from './json-duplicates.js';
import type { AuthLog } from './jwks.js';
import { keySourceFor } from './keys.js';
import { TokenRejected } from './token-rejected.js';

export { TokenRejected };

export type TokenSettings = {
  algorithm: JwtAlgorithm;
  /** HS*: the HMAC secret shared with Django. */
  secret?: string | undefined;
  /** RS*, ES*, EdDSA: a PEM SPKI public key… */
  publicKey?: string | undefined;
  /** …or the JWKS URL publishing the signing keys (selected by the token's `kid`). */
  jwksUrl?: string | undefined;
  jwksCacheSeconds?: number | undefined;
  /** Aborts a JWKS fetch after this long (default 5 s). */
  jwksTimeoutMs?: number | undefined;
  /** Development only: accept HMAC secrets shorter than 32 bytes. */
  allowShortSecret?: boolean | undefined;
  audience?: string | undefined;
  issuer?: string | undefined;
  leewaySeconds: number;
  userIdClaim: string;
  /** Verified tokens kept (JWT_CACHE_MAX); 0 verifies every request. Default DEFAULT_TOKEN_CACHE_MAX. */
  cacheMax?: number | undefined;
  /** Their size bound, counting each token's length twice (its claims take about as much). */
  cacheMaxBytes?: number | undefined;
};

export type VerifiedUser = { id: string; claims: JWTPayload };

/** Tokens longer than this are refused before any parsing. */
const MAX_TOKEN_LENGTH = 8192;
/** Three non-empty base64url segments without padding, as PyJWT writes them (jose's decoder also takes "="). */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
export const DEFAULT_TOKEN_CACHE_MAX = 10_000;
/** Room for about 18,000 SimpleJWT tokens (~230 characters); far fewer only of unusually long ones. */
const DEFAULT_TOKEN_CACHE_MAX_BYTES = 8 * 1024 * 1024;

/**
 * A verified token's user and when (on the verifier's clock) the same checks pass again: from
 * `nbf`/`iat` minus the leeway until `exp` plus the leeway (seconds) and, with a JWKS, while the
 * keys it was checked with are used without refetching (`keysUntilMs`).
 */
type Verified = { user: VerifiedUser; from: number; until: number; keysUntilMs: number };

/**
 * Verifies access tokens the way Django's djangorestframework-simplejwt issues them. jose checks
 * the signature with a key from the settings only (keys.ts), `alg` against ALGORITHM exactly,
 * `exp` (required), `nbf`, `iss` and `aud`, with the configured leeway and clock. SimpleJWT's own
 * rules (`jti`, `token_type` "access", the user claim) and what jose does not check (repeated
 * member names, `iat` in the future) are applied here. Throws ConfigError at creation when the
 * key settings do not fit.
 */
export function createTokenVerifier(settings: TokenSettings, now: () => Date = () => new Date(), log: AuthLog = () => {}) {
  const keys = keySourceFor(settings);
  const leeway = settings.leewaySeconds;
  const options: JWTVerifyOptions = {
    algorithms: [settings.algorithm], // no "none", no HS256 where RS256 is expected
    requiredClaims: ['exp'],
    clockTolerance: leeway,
    ...(settings.issuer ? { issuer: settings.issuer } : {}),
    ...(settings.audience ? { audience: settings.audience } : {}),
  };

  // The same token is verified once, then served from here while the checks above would pass
  // again: everything they read is in the token and in this verifier's fixed settings, except the
  // clock (checked on every hit) and a JWKS's keys (hence its cap). Only valid tokens are kept, so
  // a flood of bad ones costs what it did and cannot evict anyone; valid ones need the key.
  const cacheMax = settings.cacheMax ?? DEFAULT_TOKEN_CACHE_MAX;
  const cache =
    cacheMax > 0
      ? new LRUCache<string, Verified>({
          max: cacheMax,
          maxSize: settings.cacheMaxBytes ?? DEFAULT_TOKEN_CACHE_MAX_BYTES,
          sizeCalculation: (_value, token) => 2 * token.length,
        })
      : null;

  async function verifyAccessToken(token: string): Promise<VerifiedUser> {
    if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejected('token too long');
    const currentDate = now();
    const hit = cache?.get(token);
    if (hit) {
      const nowMs = currentDate.getTime();
      const seconds = Math.floor(nowMs / 1000);
      if (seconds >= hit.from && seconds < hit.until && nowMs < hit.keysUntilMs) return hit.user;
      cache!.delete(token); // verified again below, to be refused for the same reason as uncached
    }
    const verified = await verify(token, currentDate);
    if (cache) {
      // lru-cache's own expiry (on the real clock) only frees memory: the check above decides.
      const ttl = Math.min(verified.until * 1000, verified.keysUntilMs) - currentDate.getTime();
      if (ttl > 0) cache.set(token, verified, { ttl: Math.min(ttl, MAX_TTL_MS) });
    }
    return verified.user;
  }

  async function verify(token: string, currentDate: Date): Promise<Verified> {
    if (!COMPACT_JWS.test(token)) throw new TokenRejected('invalid token', 'malformed: not three base64url segments');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, (header) => keys(header, currentDate.getTime(), log), { ...options, currentDate }));
    } catch (error) {
      if (error instanceof TokenRejected || error instanceof ConfigError) throw error;
      throw new TokenRejected(reason(error), logReason(error));
    }
    // JSON.parse (jose's too) keeps the last of two members with the same name, other parsers the
    // first: a token whose meaning depends on the parser is refused. jose has parsed both texts.
    for (const segment of token.split('.', 2)) {
      if (findDuplicateKey(utf8.decode(base64url.decode(segment))) !== undefined) throw new TokenRejected('invalid token', 'repeated member names in the header or payload');
    }

    const seconds = Math.floor(currentDate.getTime() / 1000);
    if (claims.iat !== undefined && (typeof claims.iat !== 'number' || claims.iat - leeway > seconds)) {
      throw new TokenRejected('token issued in the future');
    }
    if (typeof claims.jti !== 'string' || claims.jti === '') throw new TokenRejected('token has no jti claim');
    if (claims.token_type !== 'access') throw new TokenRejected('not an access token', 'wrong token type (token_type is not "access")');

    const userId = claims[settings.userIdClaim];
    if (!((typeof userId === 'string' && userId !== '') || (typeof userId === 'number' && Number.isSafeInteger(userId)))) {
      throw new TokenRejected(`token has no ${settings.userIdClaim} claim`);
    }
    // SimpleJWT sends user_id as a number (before 5.5.1) or a string: compare as strings.
    const user: VerifiedUser = Object.freeze({ id: String(userId), claims: Object.freeze(claims) }); // shared by the requests that send it
    const from = Math.max(claims.nbf ?? -Infinity, claims.iat ?? -Infinity) - leeway;
    return { user, from, until: claims.exp! + leeway, keysUntilMs: keys.keysFreshUntil?.() ?? Infinity };
  }

  return Object.assign(verifyAccessToken, { cache });
}

/** lru-cache wants a finite TTL; entries past it are verified again, which is always safe. */
const MAX_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The refusal's reason. jose checks claims only once the signature holds, so naming the claim
 * tells nothing to a forger; jose's own messages are not passed on.
 */
function reason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'exp') return 'token has no valid exp claim';
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') return 'token not yet valid';
  return 'invalid token';
}

/** The precise reason, for the log line only (jose's own messages are not used: some quote claims). */
function logReason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = { exp: 'no valid exp claim', nbf: 'not yet valid (nbf)', aud: 'wrong audience (aud)', iss: 'wrong issuer (iss)' }[error.claim];
    return claim ?? `invalid ${error.claim.replace(/[^\w-]/g, '').slice(0, 32)} claim`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed (alg differs from ALGORITHM)';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown signing key (kid)';
  if (error instanceof errors.JWKSTimeout) return 'signing keys unavailable (JWKS timeout)';
  if (error instanceof errors.JOSENotSupported) return 'unsupported algorithm or key';
  if (error instanceof errors.JWSInvalid) return 'malformed header or signature';
  if (error instanceof errors.JWTInvalid) return 'malformed payload (not a JSON object)';
  if (error instanceof errors.JOSEError) return `rejected (${error.code})`;
  return 'invalid token';
}
