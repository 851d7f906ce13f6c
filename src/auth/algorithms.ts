import type { JwtAlgorithm } from '../config.js';

export type HmacAlgorithm = Extract<JwtAlgorithm, `HS${string}`>;
export type AsymmetricAlgorithm = Exclude<JwtAlgorithm, HmacAlgorithm>;

export const isHmac = (algorithm: JwtAlgorithm): algorithm is HmacAlgorithm => algorithm.startsWith('HS');

/** What a verification key must be for each asymmetric algorithm, in WebCrypto and JWK terms. */
type KeyKind = { importParams: RsaHashedImportParams | EcKeyImportParams | Algorithm; kty: 'RSA' | 'EC' | 'OKP'; crv?: string; describe: string };

const rsa = (hash: string): KeyKind => ({ importParams: { name: 'RSASSA-PKCS1-v1_5', hash }, kty: 'RSA', describe: 'an RSA key' });

export const KEY_KINDS: Record<AsymmetricAlgorithm, KeyKind> = {
  RS256: rsa('SHA-256'),
  RS384: rsa('SHA-384'),
  RS512: rsa('SHA-512'),
  ES256: { importParams: { name: 'ECDSA', namedCurve: 'P-256' }, kty: 'EC', crv: 'P-256', describe: 'an EC P-256 key' },
  ES384: { importParams: { name: 'ECDSA', namedCurve: 'P-384' }, kty: 'EC', crv: 'P-384', describe: 'an EC P-384 key' },
  EdDSA: { importParams: { name: 'Ed25519' }, kty: 'OKP', crv: 'Ed25519', describe: 'an Ed25519 key' },
};

export const hmacImportParams = (algorithm: HmacAlgorithm): HmacImportParams => ({ name: 'HMAC', hash: `SHA-${algorithm.slice(2)}` });
