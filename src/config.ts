import { z } from 'zod';
import { DEFAULT_DATABASE_SCHEMA, isServiceSchemaName } from './adapters/db/tables.js';

/** Token signature algorithms: HMAC with JWT_SECRET_KEY, or asymmetric with JWT_PUBLIC_KEY / JWT_JWKS_URL. */
export const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

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
  /**
   * The schema of the service's own tables (projects, conversations, messages, documents, …): a
   * lower-case identifier, never public, where the company's tables live. Migrations create it.
   */
  DATABASE_SCHEMA: optionalText
    .transform((value) => value ?? DEFAULT_DATABASE_SCHEMA)
    .pipe(z.string().refine(isServiceSchemaName, 'must be a lower-case identifier (a-z, 0-9, _) other than public, information_schema or pg_*')),
  /** Workers only: a WebSocket proxy in front of a non-Neon PostgreSQL, e.g. ws://127.0.0.1:5488/v1 (npm run db:bridge). */
  DATABASE_WS_PROXY: optionalText.pipe(z.url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' }).optional()),
  /** Connecting, and waiting for a free pooled connection (Node, Bun, Deno and Workers). */
  DATABASE_CONNECT_TIMEOUT_MS: integer(3_000, 100, 60_000),
  /** PostgreSQL cancels longer statements; the client gives up shortly after, even if the link is dead. */
  DATABASE_STATEMENT_TIMEOUT_MS: integer(5_000, 100, 600_000),
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: optionalText.pipe(z.url().optional()),
  OPENAI_MODEL: optionalText.transform((value) => value ?? 'gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: integer(20_000, 100, 600_000),
  /** Embedding model for document search (pgvector); unset: documents are searched by full-text search only. */
  OPENAI_EMBEDDING_MODEL: optionalText,
  /** Comma-separated user ids who manage every project's documents. */
  DOCUMENT_ADMIN_USER_IDS: optionalText.transform((value) => (value ? value.split(',').map((id) => id.trim()).filter(Boolean) : [])),
  /** A token claim that, when exactly `true`, makes its user a document administrator (e.g. is_staff). */
  DOCUMENT_ADMIN_CLAIM: optionalText.pipe(z.string().regex(/^[A-Za-z_][\w.:-]{0,63}$/, 'must be a claim name (letters, digits, _ . : -)').optional()),
  OPENAI_MAX_RETRIES: integer(1, 0, 5),
  JWT_SECRET_KEY: optionalText,
  ALGORITHM: z
    .string()
    .trim()
    .toUpperCase()
    .optional()
    .transform((value) => (value === undefined || value === '' ? 'HS256' : value === 'EDDSA' ? 'EdDSA' : value))
    .pipe(z.enum(JWT_ALGORITHMS)),
  JWT_AUDIENCE: optionalText,
  JWT_ISSUER: optionalText,
  JWT_LEEWAY: integer(0, 0, 3600),
  JWT_USER_ID_CLAIM: optionalText
    .transform((value) => value ?? 'user_id')
    .pipe(z.string().regex(/^[A-Za-z_][\w.:-]{0,63}$/, 'must be a claim name (letters, digits, _ . : -)')),
  /** PEM SPKI public key for RS*, ES*, EdDSA; literal "\n" escapes (common in env files) are accepted. */
  JWT_PUBLIC_KEY: optionalText,
  /** JWKS endpoint for RS*, ES*, EdDSA: https://, or http:// on loopback only. */
  JWT_JWKS_URL: optionalText.pipe(
    z
      .url({ protocol: /^https?$/, error: 'must be an https:// URL' })
      // Runs after a failed z.url too: an unparsable URL is already reported.
      .refine((url) => !URL.canParse(url) || new URL(url).protocol === 'https:' || ['127.0.0.1', '[::1]', 'localhost'].includes(new URL(url).hostname), {
        message: 'must be an https:// URL (http:// only for 127.0.0.1, [::1] or localhost)',
      })
      .optional(),
  ),
  JWT_JWKS_CACHE_SECONDS: integer(300, 30, 86_400),
  /** development relaxes start-up checks meant for real deployments (short HMAC secrets). */
  APP_ENV: optionalText
    .transform((value) => value?.toLowerCase() ?? 'production')
    .pipe(z.enum(['development', 'production'], { error: 'must be development or production' })),
  PROJECT_CACHE_TTL_MS: integer(5_000, 0, 3_600_000),
  RESULT_CACHE_TTL_MS: integer(0, 0, 3_600_000),
  RATE_LIMIT_USER_PER_MINUTE: integer(60, 0, 1_000_000_000),
  RATE_LIMIT_PROJECT_PER_MINUTE: integer(600, 0, 1_000_000_000),
  RATE_LIMIT_REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional()),
  APP_TIMEZONE: optionalText
    .transform((value) => value ?? 'UTC')
    .refine(isKnownTimeZone, { message: 'unknown IANA time zone' }),
  /** Earlier question/answer pairs sent to the model with a conversation's next question. */
  CONVERSATION_HISTORY_TURNS: integer(6, 0, 50),
  /** Conversations idle for longer are deleted (0 = keep forever). */
  CONVERSATION_RETENTION_DAYS: integer(30, 0, 3650),
  /** Guarded model-written SQL (projects that opt in): its statement timeout and row limit. */
  GUARDED_SQL_TIMEOUT_MS: integer(2_000, 100, 60_000),
  GUARDED_SQL_ROW_LIMIT: integer(200, 1, 10_000),
  // PGlite cannot time a statement out: it refuses model-written queries costlier than this
  // (EXPLAIN's planner cost; ~1,000,000 is well under a second there). See README.
  GUARDED_SQL_MAX_COST: integer(1_000_000, 1, 1_000_000_000_000),
  /** The whole request, model retries included. */
  REQUEST_TIMEOUT_MS: integer(60_000, 100, 600_000),
  /** Consecutive model failures that open the circuit (0 = never), and how long it stays open. */
  MODEL_BREAKER_FAILURES: integer(5, 0, 1_000),
  MODEL_BREAKER_COOLDOWN_MS: integer(30_000, 100, 3_600_000),
  /** Log the question text too (off: it may hold personal data). */
  LOG_MESSAGES: z
    .enum(['true', 'false', '1', '0', ''])
    .optional()
    .transform((value) => value === 'true' || value === '1'),
  /** Comma-separated browser origins allowed by CORS; unset: no CORS headers. */
  CORS_ORIGINS: optionalText.transform((value) =>
    value ? value.split(',').map((origin) => origin.trim()).filter(Boolean) : [],
  ),
});

export type Config = z.output<typeof configSchema>;

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

/** Whether an ALGORITHM setting (unset: HS256) signs with a shared HMAC secret. */
export function usesHmac(algorithm: string | undefined): boolean {
  return !algorithm?.trim() || /^hs/i.test(algorithm.trim());
}

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
