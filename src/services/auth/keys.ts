import { importSPKI, type JWSHeaderParameters } from 'jose';
import { ConfigError, type JwtAlgorithm } from '../../config.js';
import { JwksKeys, type AuthLog } from './jwks.js';
import { readSpkiPem } from './pem.js';
import type { TokenSettings } from './simplejwt.js';
import { TokenRejected } from './token-rejected.js';

/** HMAC secrets shorter than this (in UTF-8 bytes) can be brute-forced from one token. */
export const MIN_SECRET_BYTES = 32;
const JWKS_TIMEOUT_MS = 5_000;
/** jose refuses RSA keys shorter than this. */
const MIN_RSA_BITS = 2048;

/**
 * The key that checks a token's signature. It never comes from the token: jose ignores `jwk`,
 * `jku`, `x5u`, `x5c`, and `kid` only chooses among the keys of the configured JWKS (ignored otherwise).
 */
export type KeySource = ((header: JWSHeaderParameters, nowMs: number, log: AuthLog) => Promise<CryptoKey>) & {
  /** A JWKS's: until when (ms, on the verifier's clock) the keys held now are used without refetching. */
  keysFreshUntil?: () => number;
};

/**
 * One key source per key settings for the life of the process or isolate, shared by every app
 * built there (the attack suite builds several per test, as a per-request Worker once did): the
 * imported key and the JWKS cache outlive any one app. One entry per configuration in practice.
 */
const sources = new Map<string, KeySource>();

/**
 * The key source the settings call for, or a ConfigError naming every setting that does not
 * fit ALGORITHM: HS* need JWT_SECRET_KEY (≥ 32 bytes outside development); RS*, ES* and EdDSA
 * need exactly one of JWT_PUBLIC_KEY and JWT_JWKS_URL.
 */
export function keySourceFor(settings: TokenSettings): KeySource {
  const { algorithm, secret, publicKey, jwksUrl, jwksCacheSeconds, jwksTimeoutMs, allowShortSecret } = settings;
  const id = JSON.stringify([algorithm, secret, publicKey, jwksUrl, jwksCacheSeconds, jwksTimeoutMs, allowShortSecret]);
  let source = sources.get(id);
  if (!source) sources.set(id, (source = createKeySource(settings)));
  return source;
}

function createKeySource(settings: TokenSettings): KeySource {
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
    // Imported once: given the raw secret, jose would import it again for every token.
    let key: Promise<CryptoKey> | undefined;
    const hash = `SHA-${algorithm.slice(2)}`;
    return () => (key ??= crypto.subtle.importKey('raw', material, { name: 'HMAC', hash }, false, ['verify']));
  }

  if (publicKey && jwksUrl) problems.push('JWT_PUBLIC_KEY, JWT_JWKS_URL: set only one of them');
  if (!publicKey && !jwksUrl) problems.push(`JWT_PUBLIC_KEY or JWT_JWKS_URL: one is required to verify ${algorithm} tokens`);
  const pem = publicKey && !jwksUrl ? readSpkiPem(publicKey, algorithm) : undefined;
  if (pem && 'problem' in pem) problems.push(`JWT_PUBLIC_KEY: ${pem.problem}`);
  if (problems.length > 0) throw fail();

  if (pem && 'spki' in pem) {
    let key: Promise<CryptoKey> | undefined;
    return () => (key ??= importSPKI(pem.spki, algorithm).then(checkRsaLength));
  }
  const jwks = new JwksKeys({
    url: jwksUrl!,
    algorithm,
    cacheSeconds: settings.jwksCacheSeconds ?? 300,
    timeoutMs: settings.jwksTimeoutMs ?? JWKS_TIMEOUT_MS,
  });
  const source: KeySource = (header, nowMs, log) => {
    // No kid selects the set's kid-less key, if it has one (PyJWKClient's rule).
    const { kid = '' } = header;
    if (typeof kid !== 'string' || header.kid === '') return Promise.reject(new TokenRejected('invalid token', 'kid header is not a non-empty string'));
    return jwks.keyFor(kid, nowMs, log);
  };
  return Object.assign(source, { keysFreshUntil: () => jwks.freshUntil() });
}

const isHmac = (algorithm: JwtAlgorithm): algorithm is Extract<JwtAlgorithm, `HS${string}`> => algorithm.startsWith('HS');

/** A short RSA key would have jose refuse every token as invalid: say what is wrong instead. */
function checkRsaLength(key: CryptoKey): CryptoKey {
  const { modulusLength } = key.algorithm as Partial<RsaHashedKeyAlgorithm>;
  if (modulusLength !== undefined && modulusLength < MIN_RSA_BITS) {
    throw new ConfigError(`JWT_PUBLIC_KEY: is a ${modulusLength}-bit RSA key; tokens need an RSA key of at least ${MIN_RSA_BITS} bits`);
  }
  return key;
}
