/**
 * npm run model:check -- FILE [--database-url URL] [--format yaml|json] [--guarded-sql]
 *
 * Checks a semantic model file layer by layer and prints every issue as `file:line:column: path:
 * message`, grouped by layer. Exit code 0 when every layer passed, 1 otherwise (including a bad
 * option, a missing file or an unreachable database, each reported in one line).
 *
 * --guarded-sql also prints the statements an administrator runs once so that model-written SQL
 * can read the model's tables (the reader role's column grants and a tenant policy per
 * tenant-scoped table) and, with --database-url, whether they are in place. A model whose tenancy
 * guarded SQL cannot scope (one schema per tenant) fails.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { databaseLayer } from '../src/services/semantic-model/database-check.js';
import type { ModelFormat } from '../src/services/semantic-model/parse.js';
import { formatValidation } from '../src/services/semantic-model/report.js';
import { validateModelText, type ModelLayer } from '../src/services/semantic-model/validate.js';
import { createNodePostgresDatabase } from '../src/adapters/db/node-postgres.js';
import { columnTypes } from '../src/services/guarded-sql/column-types.js';
import { guardedSqlSetup } from '../src/services/guarded-sql/model-access.js';
import { guardedSqlSetupProblems } from '../src/services/guarded-sql/verify-setup.js';
import type { SemanticModel } from '../src/services/semantic-model/schema.js';
import { parseOptions, runCommand, UsageError } from './cli.js';

const USAGE = 'usage: npm run model:check -- FILE [--database-url URL] [--format yaml|json] [--guarded-sql]';

function options(argv: string[]): { file: string; databaseUrl?: string; format?: ModelFormat; guardedSql: boolean } {
  const parsed = parseOptions(argv, { 'database-url': { type: 'string' }, format: { type: 'string' }, 'guarded-sql': { type: 'boolean' } }, USAGE, true);
  const [file, ...rest] = parsed.positionals;
  if (file === undefined || rest.length > 0) throw new UsageError(`give exactly one model file (${USAGE})`);
  const format = parsed.values.format;
  if (format !== undefined && format !== 'yaml' && format !== 'json') throw new UsageError(`--format is yaml or json, not "${format}"`);
  const databaseUrl = parsed.values['database-url'];
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new UsageError('--database-url must be a postgres:// or postgresql:// URL');
  }
  return { file, ...(databaseUrl === undefined ? {} : { databaseUrl }), ...(format === undefined ? {} : { format }), guardedSql: parsed.values['guarded-sql'] === true };
}

function readModel(file: string): string {
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(error)})`);
  }
  return buffer.toString('utf8');
}

/** The database layer over one pg connection, closed after the check; a failure is an issue, not a crash. */
function liveDatabaseLayer(url: string): ModelLayer {
  return {
    name: 'database',
    async run(model, sourceMap) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, query_timeout: 30_000 });
      try {
        await client.connect();
        return await databaseLayer({ query: async (sql, params) => (await client.query(sql, params ? [...params] : [])).rows }).run(
          model,
          sourceMap,
        );
      } catch (error) {
        return [{ path: '', message: `cannot read the database catalog: ${error instanceof Error ? error.message : String(error)}` }];
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}

/** The setup statements for guarded SQL and, with a database, whether they are in place; false when it cannot be had. */
async function reportGuardedSql(model: SemanticModel, databaseUrl: string | undefined): Promise<boolean> {
  const db = databaseUrl ? createNodePostgresDatabase({ connectionString: databaseUrl, max: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000 }) : null;
  try {
    const setup = guardedSqlSetup(model, db ? await columnTypes(db, model) : undefined);
    if (!setup.ok) {
      console.log(`  guarded SQL: not available: ${setup.reason}`);
      return false;
    }
    const problems = db ? await guardedSqlSetupProblems(db, model) : null;
    console.log(
      problems === null
        ? '  guarded SQL: run the statements below once (as the tables\' owner); give --database-url to see whether they are in place'
        : problems.length === 0
          ? '  guarded SQL: in place (npm run project:add -- ... --guarded-sql switches it on for a project)'
          : `  guarded SQL: not set up yet:\n${problems.map((problem) => `    ${problem}`).join('\n')}\n  run the statements below once, as the tables' owner (or a superuser)`,
    );
    console.log(`\n${setup.sql}`);
    return true;
  } finally {
    await db?.close();
  }
}

async function main(): Promise<number> {
  const { file, databaseUrl, format, guardedSql } = options(process.argv.slice(2));
  const text = readModel(file);
  const layers = databaseUrl ? [liveDatabaseLayer(databaseUrl)] : [];
  const validation = await validateModelText(text, { fileName: file, ...(format ? { format } : {}), layers });
  console.log(formatValidation(file, validation).join('\n'));
  if (!validation.ok || !validation.model) return 1;
  if (guardedSql && !(await reportGuardedSql(validation.model, databaseUrl))) return 1;
  return 0;
}

runCommand('model:check', main);
