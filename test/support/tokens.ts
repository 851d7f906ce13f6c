import { createHmac, randomUUID } from 'node:crypto';

/**
 * Builds tokens byte-for-byte the way Django's djangorestframework-simplejwt (via PyJWT)
 * does: compact JSON, sorted header, base64url without padding. Independent of the
 * library the service uses, so the tests check interoperability, not self-consistency.
 */
export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs512-0123456789';

type Alg = 'HS256' | 'HS384' | 'HS512';
const HASH: Record<Alg, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export function signToken(
  payload: Record<string, unknown>,
  { secret = TEST_SECRET, alg = 'HS256', header }: { secret?: string; alg?: Alg; header?: Record<string, unknown> } = {},
): string {
  const head = b64url(JSON.stringify(header ?? { alg, typ: 'JWT' }));
  const body = b64url(JSON.stringify(payload));
  const signature = createHmac(HASH[alg], secret).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64url(signature)}`;
}

/** SimpleJWT's AccessToken claims: token_type, exp, iat, jti, user_id. */
export function accessClaims(userId: number | string = 1, overrides: Record<string, unknown> = {}, now = Date.now()) {
  const iat = Math.floor(now / 1000);
  return {
    token_type: 'access',
    exp: iat + 300,
    iat,
    jti: randomUUID().replaceAll('-', ''),
    user_id: userId,
    ...overrides,
  };
}

export function accessToken(userId: number | string = 1, overrides: Record<string, unknown> = {}, options?: Parameters<typeof signToken>[1]) {
  return signToken(accessClaims(userId, overrides), options);
}

/** An unsigned token with alg "none", as an attacker would send it. */
export function unsignedToken(payload: Record<string, unknown>, alg = 'none'): string {
  return `${b64url(JSON.stringify({ alg, typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}.`;
}
