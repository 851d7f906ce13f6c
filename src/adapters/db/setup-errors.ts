import { ConfigError } from '../../config.js';

/**
 * PostgreSQL's answers that mean the operator's DATABASE_URL points at something that is not
 * there (no such database, no such role, a refused password): mistakes to fix, not outages to
 * wait out. Returns the message that says what to do, or undefined for any other error. The URL's
 * password is never repeated.
 */
export function databaseSetupProblem(error: unknown, url: string | undefined): ConfigError | undefined {
  const failure = findPgError(error);
  if (!failure) return undefined;
  const where = describe(url);
  switch (failure.code) {
    case '3D000': {
      const name = where?.database ?? 'named in DATABASE_URL';
      return new ConfigError(
        `DATABASE_URL: database "${name}" does not exist${where ? ` on ${where.server}` : ''}: create it (createdb${where ? ` -h ${where.host} -p ${where.port} -U ${where.user}` : ''} ${name}) and run "npm run db:migrate", or fix the database name in DATABASE_URL`,
      );
    }
    case '28000':
      return new ConfigError(`DATABASE_URL: PostgreSQL refused the connection${where ? ` to ${where.server}` : ''} (${failure.message}): create that role or put an existing user in DATABASE_URL`);
    case '28P01':
      return new ConfigError(`DATABASE_URL: PostgreSQL refused the connection${where ? ` to ${where.server}` : ''} (${failure.message}): fix the user or password in DATABASE_URL`);
    default:
      return undefined;
  }
}

type PgError = { code: string; message: string };

/** The PostgreSQL error with a SQLSTATE code, on the error or its causes. */
function findPgError(error: unknown): PgError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return { code, message: current.message };
  }
  return undefined;
}

function describe(url: string | undefined) {
  if (!url || !URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  const host = parsed.hostname || 'localhost';
  const port = parsed.port || '5432';
  const user = decodeURIComponent(parsed.username) || 'postgres';
  const database = decodeURIComponent(parsed.pathname.slice(1)) || user; // libpq's default: the user's name
  return { host, port, user, database, server: `${host}:${port}` };
}
