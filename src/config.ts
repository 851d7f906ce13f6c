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

/** A whole number in [min, max] (unset or empty: `fallback`), refused with one message that says so (plus `hint`). */
export const integer = (fallback: number, min: number, max: number, hint = '') => {
  const error = `must be a whole number from ${min} to ${max}${hint}`;
  return z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === undefined || value === '' ? fallback : Number(value)))
    .pipe(z.number({ error }).int(error).min(min, error).max(max, error));
};

/**
 * Every setting of the service, read from a plain record of strings (process.env on Node,
 * bindings on Workers). Names from the original FastAPI service are kept.
 */
export const configSchema = z.object({
  /** postgres:// or postgresql:// (the value is never echoed: it may hold a password). */
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .refine(isPostgresUrl, {
        error: (issue) => postgresUrlProblem(String(issue.input)),
      })
      .optional(),
  ),
  /**
   * The schema of the service's own tables (projects, conversations, messages, documents, …): a
   * lower-case identifier, never public, where the company's tables live. Migrations create it.
   */
  DATABASE_SCHEMA: optionalText
    .transform((value) => value ?? DEFAULT_DATABASE_SCHEMA)
    .pipe(z.string().refine(isServiceSchemaName, 'must be a lower-case identifier (a-z, 0-9, _) other than public, information_schema or pg_*')),
  /** Workers only: a WebSocket proxy in front of a non-Neon PostgreSQL, e.g. ws://127.0.0.1:5488/v1 (npm run db:bridge). */
  DATABASE_WS_PROXY: optionalText.pipe(z.url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' }).optional()),
  /**
   * Workers only, with DATABASE_WS_PROXY: an endpoint speaking Neon's SQL-over-HTTP protocol for
   * single statements, e.g. http://127.0.0.1:5488/sql (npm run db:bridge). Unset: every statement
   * goes over the WebSocket. With Neon itself (no proxy) single statements always go over HTTP.
   */
  DATABASE_HTTP_PROXY: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional()),
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
  /** Verified tokens kept so that the same token is verified once (0: verify every request). */
  JWT_CACHE_MAX: integer(10_000, 0, 1_000_000),
  /** development relaxes start-up checks meant for real deployments (short HMAC secrets). */
  APP_ENV: optionalText
    .transform((value) => value?.toLowerCase() ?? 'production')
    .pipe(z.enum(['development', 'production'], { error: 'must be development or production' })),
  PROJECT_CACHE_TTL_MS: integer(5_000, 0, 3_600_000),
  RESULT_CACHE_TTL_MS: integer(0, 0, 3_600_000),
  RATE_LIMIT_USER_PER_MINUTE: integer(60, 0, 1_000_000_000),
  RATE_LIMIT_PROJECT_PER_MINUTE: integer(600, 0, 1_000_000_000),
  /** GET endpoints (projects, conversations, documents) per user per minute: a bucket apart from chat's. */
  RATE_LIMIT_USER_READ_PER_MINUTE: integer(300, 0, 1_000_000_000),
  /**
   * Requests without a valid token (none, a bad one, or public pages) per client address per
   * minute: floods of invalid tokens get 429, not unlimited 401s. /health is never limited.
   */
  RATE_LIMIT_ADDRESS_PER_MINUTE: integer(120, 0, 1_000_000_000),
  /**
   * The header a trusted proxy in front of the service puts the client's address in
   * (CF-Connecting-IP, X-Real-IP, X-Forwarded-For: its last entry). Unset: the connection's own
   * address (on Workers, Cloudflare's CF-Connecting-IP, which clients cannot set).
   */
  CLIENT_IP_HEADER: optionalText.pipe(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'must be an HTTP header name, e.g. X-Forwarded-For').optional()),
  RATE_LIMIT_REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional()),
  APP_TIMEZONE: optionalText
    .transform((value) => value ?? 'UTC')
    .refine(isKnownTimeZone, { message: 'unknown IANA time zone' }),
  /** Earlier question/answer pairs sent to the model with a conversation's next question. */
  CONVERSATION_HISTORY_TURNS: integer(6, 0, 50),
  /** The earlier turns' text sent to the model, at most this many bytes (newest kept first, the one crossing it cut). */
  CONVERSATION_HISTORY_MAX_BYTES: integer(32_768, 1_024, 1_048_576),
  /** A stored answer's text, and its data's JSON, are each cut to at most this many bytes (rows that do not fit are left out). */
  ANSWER_MAX_BYTES: integer(524_288, 4_096, 16_777_216),
  /** A page of GET /api/v1/conversaciones/{id} ends after the message that brings it past this many bytes. */
  CONVERSATION_PAGE_MAX_BYTES: integer(2_097_152, 16_384, 67_108_864),
  /** Conversations idle for longer are deleted (0 = keep forever). */
  CONVERSATION_RETENTION_DAYS: integer(30, 0, 3650),
  /** Guarded model-written SQL (projects that opt in): its statement timeout and row limit. */
  GUARDED_SQL_TIMEOUT_MS: integer(2_000, 100, 60_000),
  GUARDED_SQL_ROW_LIMIT: integer(200, 1, 10_000),
  // PGlite cannot time a statement out: it refuses model-written queries costlier than this
  // (EXPLAIN's planner cost; ~1,000,000 is well under a second there). See README.
  GUARDED_SQL_MAX_COST: integer(1_000_000, 1, 1_000_000_000_000),
  /**
   * Bytes of a model-written query's rows (each row's JSON, summed) that may reach the
   * process: PostgreSQL stops sending at the first row past it (datos.truncated_by says so).
   */
  GUARDED_SQL_MAX_BYTES: integer(262_144, 1_024, 16_777_216),
  /** One value of those rows longer than this many bytes is cut, ending in "…". */
  GUARDED_SQL_MAX_VALUE_BYTES: integer(4_096, 16, 1_048_576),
  /**
   * One value of a semantic query's rows (a customer's name, a label) longer than this many
   * bytes is cut in PostgreSQL, ending in "…"; at least 256, so no number is ever cut.
   */
  SEMANTIC_MAX_VALUE_BYTES: integer(4_096, 256, 1_048_576),
  /** Documents a project may hold: an upload past it gets 409 `limit-reached` (and the list is bounded by it). */
  DOCUMENTS_MAX_PER_PROJECT: integer(1_000, 1, 100_000),
  /** The whole request, model retries included. */
  REQUEST_TIMEOUT_MS: integer(60_000, 100, 600_000),
  /** Receiving the request body: a client still sending past it gets 408 (never more than REQUEST_TIMEOUT_MS). */
  REQUEST_BODY_TIMEOUT_MS: integer(10_000, 100, 120_000),
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

/**
 * Parses settings, failing with one readable message that names every bad variable (with
 * `alsoWrong`: problems the caller found in settings of its own, reported in the same message).
 */
export function parseConfig(env: Record<string, string | undefined>, alsoWrong: readonly string[] = []): Config {
  const result = configSchema.safeParse(env);
  const problems = [...alsoWrong, ...(result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`))];
  if (problems.length > 0 || !result.success) throw new ConfigError(`Invalid settings:\n  ${problems.join('\n  ')}`);
  return result.data;
}

/**
 * Setting names in `env` that look like a typo of a known one which is not set (JWT_SECRET for
 * JWT_SECRET_KEY, DATABSE_URL, jwt_secret_key): "did you mean …?" messages. Names close to a setting
 * that IS set are left alone (DATABASE_URL_UNPOOLED next to DATABASE_URL), and so is everything
 * else in the environment. Close means: the same name in another case; one or two letters off
 * (one for names of up to 5 letters); or a whole `_`-separated prefix of it, or it of them.
 */
export function misspelledSettings(env: Record<string, string | undefined>, known: readonly string[]): string[] {
  const present = new Set(Object.keys(env).filter((name) => env[name] !== undefined && env[name] !== ''));
  const problems: string[] = [];
  for (const name of present) {
    if (known.includes(name)) continue;
    const match = known.find((setting) => !present.has(setting) && resembles(name, setting));
    if (match) problems.push(`${name}: is not a setting; did you mean ${match}?`);
  }
  return problems;
}

function resembles(name: string, setting: string): boolean {
  const upper = name.toUpperCase();
  if (upper === setting) return true;
  if (setting.includes('_') && upper.includes('_') && (setting.startsWith(`${upper}_`) || upper.startsWith(`${setting}_`))) return true;
  return editDistance(upper, setting, 2) <= (setting.length <= 5 ? 1 : 2);
}

/** Optimal string alignment distance (a swap of two neighbours counts once), stopping early past `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous2: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, previous2[j - 2]! + 1);
      current.push(value);
    }
    if (Math.min(...current) > max) return max + 1;
    previous2 = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/** Whether an ALGORITHM setting (unset: HS256) signs with a shared HMAC secret. */
export function usesHmac(algorithm: string | undefined): boolean {
  return !algorithm?.trim() || /^hs/i.test(algorithm.trim());
}

function isPostgresUrl(value: string): boolean {
  return URL.canParse(value) && ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
}

/** Says what is wrong with a DATABASE_URL without repeating it (it may carry a password). */
function postgresUrlProblem(value: string): string {
  const example = 'postgres://user:password@host:5432/database';
  if (!URL.canParse(value)) return `is not a URL; write it as ${example}`;
  const { protocol } = new URL(value);
  return `must start with postgres:// or postgresql://, not ${protocol}//; write it as ${example}`;
}

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
