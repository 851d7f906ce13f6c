import { createHmac, generateKeyPairSync, randomUUID, sign as cryptoSign, type KeyObject } from 'node:crypto';

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

// ---------------------------------------------------------------------------------------------
// Any algorithm, any header, any payload text: for asymmetric set-ups and attack tests.
// Built with node:crypto, independently of the service's hono/WebCrypto code.
// ---------------------------------------------------------------------------------------------

export type AsymmetricAlg = 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'EdDSA';
export type AnyAlg = Alg | AsymmetricAlg;

/** Signs a JWS signing input (`header.payload`) and says which algorithm it is for. */
export type Signer = { alg: AnyAlg; sign(input: string): Buffer };

/** An HMAC signer (the secret may be anything, e.g. a public key's PEM text, for confusion attacks). */
export const hmacSigner = (secret: string | Buffer = TEST_SECRET, alg: Alg = 'HS256'): Signer => ({
  alg,
  sign: (input) => createHmac(HASH[alg], secret).update(input).digest(),
});

/** A key pair for an asymmetric algorithm, with its public half as PEM and as a JWK. */
export type TestKeyPair = {
  alg: AsymmetricAlg;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
  /** The public JWK as a JWKS publishes it: kid, use, alg. */
  publicJwk: Record<string, unknown>;
  signer: Signer;
};

const rsaKeys = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();

/** A fresh key pair (RSA 2048 pairs are cached per `reuse` name: generating them is slow). */
export function generateKeyPair(alg: AsymmetricAlg, kid: string = randomUUID(), reuse?: string): TestKeyPair {
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (alg.startsWith('RS')) {
    const cached = reuse ? rsaKeys.get(reuse) : undefined;
    pair = cached ?? generateKeyPairSync('rsa', { modulusLength: 2048 });
    if (reuse) rsaKeys.set(reuse, pair);
  } else if (alg === 'EdDSA') pair = generateKeyPairSync('ed25519');
  else pair = generateKeyPairSync('ec', { namedCurve: alg === 'ES256' ? 'P-256' : 'P-384' });
  const { privateKey, publicKey } = pair;
  return {
    alg,
    kid,
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg },
    signer: keySigner(alg, privateKey),
  };
}

/** A signer with a private key: RSASSA-PKCS1-v1_5, ECDSA as raw r||s (JWS), or Ed25519. */
export function keySigner(alg: AsymmetricAlg, privateKey: KeyObject, ecdsaEncoding: 'ieee-p1363' | 'der' = 'ieee-p1363'): Signer {
  const hash = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
  return {
    alg,
    sign: (input) => cryptoSign(hash, Buffer.from(input), alg.startsWith('ES') ? { key: privateKey, dsaEncoding: ecdsaEncoding } : privateKey),
  };
}

/** A JWS over exact header and payload texts (duplicate names, odd JSON, anything). */
export function signTexts(headerText: string, payloadText: string, signer: Signer): string {
  const input = `${b64url(headerText)}.${b64url(payloadText)}`;
  return `${input}.${b64url(signer.sign(input))}`;
}

/** A JWS with the given header (default `{alg, typ: "JWT"}` for the signer) and payload objects. */
export function signJws(payload: Record<string, unknown>, signer: Signer, header: Record<string, unknown> = { alg: signer.alg, typ: 'JWT' }): string {
  return signTexts(JSON.stringify(header), JSON.stringify(payload), signer);
}
