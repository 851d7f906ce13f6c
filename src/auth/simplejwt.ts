import { verify } from 'hono/jwt';
import type { JWTPayload } from 'hono/utils/jwt/types';
import type { JwtAlgorithm } from '../config.js';
import { parseCompactToken } from './compact.js';
import type { AuthLog } from './jwks.js';
import { createKeySource } from './keys.js';
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
};

export type VerifiedUser = { id: string; claims: JWTPayload };

/** Tokens longer than this are refused before any parsing. */
const MAX_TOKEN_LENGTH = 8192;

/**
 * Verifies access tokens the way Django's djangorestframework-simplejwt issues them.
 * The token's shape is checked first (compact.ts), then its `alg` against ALGORITHM, then the
 * signature with a key from the settings only (keys.ts) by `hono/jwt`, which also checks `iss`
 * and `aud`. SimpleJWT's own rules (`exp` and `jti` required, `token_type` "access", leeway on
 * times) are applied here. Throws ConfigError at creation when the key settings do not fit.
 */
export function createTokenVerifier(settings: TokenSettings, now: () => Date = () => new Date(), log: AuthLog = () => {}) {
  const keyFor = createKeySource(settings, now, log);

  return async function verifyAccessToken(token: string): Promise<VerifiedUser> {
    if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejected('token too long');
    const { header } = parseCompactToken(token);
    // Exactly the configured algorithm: no "none", no HS256 where RS256 is expected.
    if (header.alg !== settings.algorithm) throw new TokenRejected('invalid token');
    const key = await keyFor(header);
    let claims: JWTPayload;
    try {
      claims = await verify(token, key, {
        alg: settings.algorithm,
        // Time claims are checked below, with the configured leeway and clock.
        exp: false,
        nbf: false,
        iat: false,
        ...(settings.issuer ? { iss: settings.issuer } : {}),
        ...(settings.audience ? { aud: settings.audience } : {}),
      });
    } catch {
      // The library's messages may echo the token; keep ours generic.
      throw new TokenRejected('invalid token');
    }
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new TokenRejected('invalid token');

    const seconds = Math.floor(now().getTime() / 1000);
    const leeway = settings.leewaySeconds;
    if (!isNumericDate(claims.exp)) throw new TokenRejected('token has no valid exp claim');
    if (claims.exp + leeway <= seconds) throw new TokenRejected('token expired');
    if (claims.nbf !== undefined && (!isNumericDate(claims.nbf) || claims.nbf - leeway > seconds)) {
      throw new TokenRejected('token not yet valid');
    }
    if (claims.iat !== undefined && (!isNumericDate(claims.iat) || claims.iat - leeway > seconds)) {
      throw new TokenRejected('token issued in the future');
    }
    if (typeof claims.jti !== 'string' || claims.jti === '') throw new TokenRejected('token has no jti claim');
    if (claims.token_type !== 'access') throw new TokenRejected('not an access token');

    const userId = claims[settings.userIdClaim];
    if (!((typeof userId === 'string' && userId !== '') || (typeof userId === 'number' && Number.isSafeInteger(userId)))) {
      throw new TokenRejected(`token has no ${settings.userIdClaim} claim`);
    }
    // SimpleJWT sends user_id as a number (before 5.5.1) or a string: compare as strings.
    return { id: String(userId), claims };
  };
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
