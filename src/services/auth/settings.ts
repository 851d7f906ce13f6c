import type { Config } from '../../config.js';
import { keySourceFor } from './keys.js';
import type { TokenSettings } from './simplejwt.js';

/**
 * The verifier's settings from the service's config. Throws a ConfigError when the key
 * settings do not fit ALGORITHM, so entries can call it at start-up (it does no I/O).
 */
export function tokenSettingsFrom(config: Config): TokenSettings {
  const settings: TokenSettings = {
    algorithm: config.ALGORITHM,
    secret: config.JWT_SECRET_KEY,
    publicKey: config.JWT_PUBLIC_KEY,
    jwksUrl: config.JWT_JWKS_URL,
    jwksCacheSeconds: config.JWT_JWKS_CACHE_SECONDS,
    allowShortSecret: config.APP_ENV === 'development',
    audience: config.JWT_AUDIENCE,
    issuer: config.JWT_ISSUER,
    leewaySeconds: config.JWT_LEEWAY,
    userIdClaim: config.JWT_USER_ID_CLAIM,
    cacheMax: config.JWT_CACHE_MAX,
  };
  keySourceFor(settings); // checks the key settings (and keeps the source for the verifier)
  return settings;
}
