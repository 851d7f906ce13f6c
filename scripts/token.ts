// npm run token -- [user_id] [lifetime_seconds] — mints a SimpleJWT-style access token with JWT_SECRET_KEY, for development.
import { runCli } from './cli.js';
import { mintAccessToken } from '../src/services/auth/dev-token.js';
import { ConfigError, parseConfig } from '../src/config.js';
import { DEMO_USER_ID } from '../src/adapters/db/seed.js';

runCli(async () => {
  const config = parseConfig(process.env);
  if (!config.JWT_SECRET_KEY) throw new ConfigError('set JWT_SECRET_KEY to the secret the service verifies tokens with');
  const [userId = DEMO_USER_ID, lifetime = '3600'] = process.argv.slice(2);
  const lifetimeSeconds = Number(lifetime);
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds <= 0) throw new ConfigError('lifetime must be a positive number of seconds');
  console.log(
    await mintAccessToken({
      secret: config.JWT_SECRET_KEY,
      algorithm: config.ALGORITHM,
      userId,
      userIdClaim: config.JWT_USER_ID_CLAIM,
      lifetimeSeconds,
      audience: config.JWT_AUDIENCE,
      issuer: config.JWT_ISSUER,
    }),
  );
});
