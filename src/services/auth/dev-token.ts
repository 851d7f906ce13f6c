import { SignJWT } from 'jose';
import { ConfigError, usesHmac, type JwtAlgorithm } from '../../config.js';

/**
 * Mints an access token shaped like djangorestframework-simplejwt's, for development and
 * demos only: production tokens come from Django.
 */
export function mintAccessToken(options: {
  secret: string;
  /** HS* only: RS*, ES* and EdDSA tokens are signed by Django's private key, which the service never holds. */
  algorithm: JwtAlgorithm;
  userId: string;
  userIdClaim?: string;
  lifetimeSeconds?: number;
  audience?: string | undefined;
  issuer?: string | undefined;
  now?: Date;
}): Promise<string> {
  const { algorithm } = options;
  if (!usesHmac(algorithm)) {
    return Promise.reject(new ConfigError(`development tokens need an HS* ALGORITHM; ${algorithm} tokens come from Django's private key`));
  }
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT({
    token_type: 'access',
    exp: issuedAt + (options.lifetimeSeconds ?? 24 * 3600),
    iat: issuedAt,
    jti: crypto.randomUUID().replaceAll('-', ''),
    [options.userIdClaim ?? 'user_id']: /^\d+$/.test(options.userId) ? Number(options.userId) : options.userId,
    ...(options.audience ? { aud: options.audience } : {}),
    ...(options.issuer ? { iss: options.issuer } : {}),
  })
    .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
    .sign(new TextEncoder().encode(options.secret));
}

/** What a developer needs to try the API: the token and a ready-to-paste curl command. */
export function devTokenInstructions(base: string, token: string, userId: string): string[] {
  return [
    `Development token (user ${userId}, valid 24 h):`,
    token,
    '',
    'Try it:',
    `curl -s ${base}/api/v1/chat -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' ` +
      `-d '{"mensaje":"¿Cuántas órdenes pendientes hay?","usuario_id":"${userId}","proyecto":"dashboard_miempresa"}'`,
    '',
  ];
}
