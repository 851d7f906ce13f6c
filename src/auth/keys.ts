import { ConfigError } from '../config.js';
import { hmacImportParams, isHmac, KEY_KINDS } from './algorithms.js';
import type { JoseHeader } from './compact.js';
import { jwksKeys, type AuthLog } from './jwks.js';
import { readSpkiPem } from './pem.js';
import type { TokenSettings } from './simplejwt.js';
import { TokenRejected } from './token-rejected.js';

/** HMAC secrets shorter than this (in UTF-8 bytes) can be brute-forced from one token. */
export const MIN_SECRET_BYTES = 32;
const JWKS_TIMEOUT_MS = 5_000;

/**
 * The key that checks a token's signature. It never comes from the token: `jwk`, `jku`, `x5u`,
 * `x5c` are ignored, and `kid` only chooses among the keys of the configured JWKS (ignored otherwise).
 */
export type KeySource = (header: JoseHeader) => Promise<CryptoKey>;

/**
 * Builds the key source the settings call for, or throws a ConfigError naming every setting
 * that does not fit ALGORITHM: HS* need JWT_SECRET_KEY (≥ 32 bytes outside development);
 * RS*, ES* and EdDSA need exactly one of JWT_PUBLIC_KEY and JWT_JWKS_URL.
 */
export function createKeySource(settings: TokenSettings, now: () => Date, log: AuthLog): KeySource {
  const { algorithm, secret, publicKey, jwksUrl } = settings;
  const problems: string[] = [];
  const fail = () => new ConfigError(`Invalid settings:\n  ${problems.join('\n  ')}`);

  if (isHmac(algorithm)) {
    if (publicKey) problems.push(`JWT_PUBLIC_KEY: is for RS*, ES* and EdDSA, but ALGORITHM is ${algorithm}; unset it`);
    if (jwksUrl) problems.push(`JWT_JWKS_URL: is for RS*, ES* and EdDSA, but ALGORITHM is ${algorithm}; unset it`);
    const material = new TextEncoder().encode(secret ?? '');
    const bytes = material.length;
    if (!secret) problems.push(`JWT_SECRET_KEY: is required to verify ${algorithm} tokens (the HMAC secret Django signs with)`);
    else if (bytes < MIN_SECRET_BYTES && !settings.allowShortSecret) {
      problems.push(
        `JWT_SECRET_KEY: must be at least ${MIN_SECRET_BYTES} bytes for ${algorithm} (it has ${bytes}); ` +
          'a shorter secret can be guessed offline from a single token (APP_ENV=development allows it)',
      );
    }
    if (problems.length > 0) throw fail();
    let key: Promise<CryptoKey> | undefined; // imported once: importing costs more than verifying
    return () => (key ??= crypto.subtle.importKey('raw', material, hmacImportParams(algorithm), false, ['verify']));
  }

  if (publicKey && jwksUrl) problems.push('JWT_PUBLIC_KEY, JWT_JWKS_URL: set only one of them');
  if (!publicKey && !jwksUrl) problems.push(`JWT_PUBLIC_KEY or JWT_JWKS_URL: one is required to verify ${algorithm} tokens`);
  const pem = publicKey && !jwksUrl ? readSpkiPem(publicKey, algorithm) : undefined;
  if (pem && 'problem' in pem) problems.push(`JWT_PUBLIC_KEY: ${pem.problem}`);
  if (problems.length > 0) throw fail();

  if (pem && 'der' in pem) {
    let key: Promise<CryptoKey> | undefined;
    return () => (key ??= crypto.subtle.importKey('spki', pem.der, KEY_KINDS[algorithm].importParams, false, ['verify']));
  }
  const jwks = jwksKeys({
    url: jwksUrl!,
    algorithm,
    cacheSeconds: settings.jwksCacheSeconds ?? 300,
    timeoutMs: settings.jwksTimeoutMs ?? JWKS_TIMEOUT_MS,
  });
  return (header) => {
    // No kid selects the set's kid-less key, if it has one (PyJWKClient's rule).
    const kid = header.kid === undefined ? '' : header.kid;
    if (typeof kid !== 'string' || header.kid === '') return Promise.reject(new TokenRejected('invalid token'));
    return jwks.keyFor(kid, now().getTime(), log);
  };
}
