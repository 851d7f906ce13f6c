import { z } from 'zod';

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

/** Empty strings count as unset: `.dev.vars` and shells often export `NAME=`. */
const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === undefined || value === '' ? fallback : Number(value)))
    .pipe(z.number().int().min(min).max(max));

/**
 * Every setting of the service, read from a plain record of strings (process.env on Node,
 * bindings on Workers). Names from the original FastAPI service are kept.
 */
export const configSchema = z.object({
  DATABASE_URL: optionalText,
  /** Workers only: a WebSocket proxy in front of a non-Neon PostgreSQL, e.g. ws://127.0.0.1:5488/v1 (npm run db:bridge). */
  DATABASE_WS_PROXY: optionalText.pipe(z.url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' }).optional()),
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: optionalText.pipe(z.url().optional()),
  OPENAI_MODEL: optionalText.transform((value) => value ?? 'gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: integer(20_000, 100, 600_000),
  OPENAI_MAX_RETRIES: integer(1, 0, 5),
  JWT_SECRET_KEY: optionalText,
  ALGORITHM: z
    .string()
    .trim()
    .toUpperCase()
    .optional()
    .transform((value) => (value === undefined || value === '' ? 'HS256' : value))
    .pipe(z.enum(HMAC_ALGORITHMS)),
  JWT_AUDIENCE: optionalText,
  JWT_ISSUER: optionalText,
  JWT_LEEWAY: integer(0, 0, 3600),
  JWT_USER_ID_CLAIM: optionalText
    .transform((value) => value ?? 'user_id')
    .pipe(z.string().regex(/^[A-Za-z_][\w.:-]{0,63}$/, 'must be a claim name (letters, digits, _ . : -)')),
  PROJECT_CACHE_TTL_MS: integer(5_000, 0, 3_600_000),
  RESULT_CACHE_TTL_MS: integer(0, 0, 3_600_000),
  APP_TIMEZONE: optionalText
    .transform((value) => value ?? 'UTC')
    .refine(isKnownTimeZone, { message: 'unknown IANA time zone' }),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = Partial<Record<keyof z.input<typeof configSchema>, string | undefined>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses settings, failing with one readable message that names every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid settings:\n  ${problems.join('\n  ')}`);
}

/** The secret tokens are verified with; its absence stops start-up before any I/O. */
export function requireJwtSecret(config: Config): string {
  if (!config.JWT_SECRET_KEY) throw new ConfigError('JWT_SECRET_KEY is required to verify access tokens');
  return config.JWT_SECRET_KEY;
}

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
