import { ConfigError, configSchema } from '../src/config.js';
import { serviceTables, type ServiceTables } from '../src/adapters/db/tables.js';

/** Runs a command-line task, printing configuration problems without a stack trace. */
export function runCli(task: () => Promise<void>): void {
  task().catch((error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}

/** Migrations and seeding may legitimately run long; the service's 5 s limit is not for them. */
export const LONG_STATEMENT_MS = 600_000;

export function requireDatabaseUrl(): string {
  const url = process.env.DATABASE_URL?.trim();
  if (!url) throw new ConfigError('set DATABASE_URL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/chat');
  return url;
}

/** The service's tables in DATABASE_SCHEMA (default chat_api), validated as the service validates it. */
export function databaseTables(): ServiceTables {
  const parsed = configSchema.shape.DATABASE_SCHEMA.safeParse(process.env.DATABASE_SCHEMA);
  if (!parsed.success) throw new ConfigError(`DATABASE_SCHEMA: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return serviceTables(parsed.data);
}
