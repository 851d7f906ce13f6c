import { verify } from 'hono/jwt';
import type { JWTPayload } from 'hono/utils/jwt/types';

export type TokenSettings = {
  secret: string;
  algorithm: 'HS256' | 'HS384' | 'HS512';
  audience?: string | undefined;
  issuer?: string | undefined;
  leewaySeconds: number;
  userIdClaim: string;
};

export type VerifiedUser = { id: string; claims: JWTPayload };

/** Why a token was refused; sent to the client in the problem's detail. */
export class TokenRejected extends Error {
  override name = 'TokenRejected';
}

/** Tokens longer than this are refused before any parsing. */
const MAX_TOKEN_LENGTH = 8192;

/**
 * Verifies access tokens the way Django's djangorestframework-simplejwt issues them.
 * `hono/jwt` checks the signature, algorithm, `iss` and `aud`; SimpleJWT's own rules
 * (`exp` and `jti` required, `token_type` "access", leeway on times) are applied here.
 */
export function createTokenVerifier(settings: TokenSettings, now: () => Date = () => new Date()) {
  // Imported once, on first use: importing an HMAC key costs more than verifying with it.
  let key: Promise<CryptoKey> | undefined;
  const verificationKey = () =>
    (key ??= crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(settings.secret),
      { name: 'HMAC', hash: `SHA-${settings.algorithm.slice(2)}` },
      false,
      ['verify'],
    ));

  return async function verifyAccessToken(token: string): Promise<VerifiedUser> {
    if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejected('token too long');
    let claims: JWTPayload;
    try {
      claims = await verify(token, await verificationKey(), {
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
