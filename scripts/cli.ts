import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, configSchema } from '../src/config.js';
import { serviceTables, type ServiceTables } from '../src/adapters/db/tables.js';
import { databaseSetupProblem } from '../src/adapters/db/setup-errors.js';

/** Runs a command-line task, printing configuration problems without a stack trace. */
export function runCli(task: () => Promise<void>): void {
  task().catch((error: unknown) => {
    // No such database or role, a refused password: what to fix, not a stack.
    const problem = error instanceof ConfigError ? error : databaseSetupProblem(error, process.env.DATABASE_URL);
    console.error(problem ? problem.message : error);
    process.exit(1);
  });
}

/** Migrations and seeding may legitimately run long; the service's 5 s limit is not for them. */
export const LONG_STATEMENT_MS = 600_000;

export function requireDatabaseUrl(): string {
  const url = process.env.DATABASE_URL?.trim();
  if (!url) throw new ConfigError('set DATABASE_URL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/chat');
  const parsed = configSchema.shape.DATABASE_URL.safeParse(url);
  if (!parsed.success) throw new ConfigError(`DATABASE_URL: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return url;
}

/** The service's tables in DATABASE_SCHEMA (default chat_api), validated as the service validates it. */
export function databaseTables(): ServiceTables {
  const parsed = configSchema.shape.DATABASE_SCHEMA.safeParse(process.env.DATABASE_SCHEMA);
  if (!parsed.success) throw new ConfigError(`DATABASE_SCHEMA: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return serviceTables(parsed.data);
}

/** A mistake in how a command was called: printed as one line, with the usage. */
export class UsageError extends Error {}

/**
 * node:util's parseArgs (strict) with `--help` and one-line usage errors: its own messages run
 * on over several sentences, so the first is kept.
 */
export function parseOptions<const O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, usage: string, allowPositionals = false) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals, options });
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split(/\.\s/)[0] ?? '';
    throw new UsageError(`${message.replace(/^Unknown option '([^']+)'$/, 'unknown option $1')} (${usage})`);
  }
}

/** Runs a command's main, exiting with its code; any failure is one line (`name: message`), no stack. */
export function runCommand(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`${name}: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
      process.exitCode = 1;
    },
  );
}
