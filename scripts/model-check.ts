/**
 * npm run model:check -- FILE [--database-url URL] [--format yaml|json]
 *
 * Checks a semantic model file layer by layer and prints every issue as `file:line:column: path:
 * message`, grouped by layer. Exit code 0 when every layer passed, 1 otherwise (including a bad
 * option, a missing file or an unreachable database, each reported in one line).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { databaseLayer } from '../src/services/semantic-model/database-check.js';
import type { ModelFormat } from '../src/services/semantic-model/parse.js';
import { formatValidation } from '../src/services/semantic-model/report.js';
import { validateModelText, type ModelLayer } from '../src/services/semantic-model/validate.js';
import { parseOptions, runCommand, UsageError } from './cli.js';

const USAGE = 'usage: npm run model:check -- FILE [--database-url URL] [--format yaml|json]';

function options(argv: string[]): { file: string; databaseUrl?: string; format?: ModelFormat } {
  const parsed = parseOptions(argv, { 'database-url': { type: 'string' }, format: { type: 'string' } }, USAGE, true);
  const [file, ...rest] = parsed.positionals;
  if (file === undefined || rest.length > 0) throw new UsageError(`give exactly one model file (${USAGE})`);
  const format = parsed.values.format;
  if (format !== undefined && format !== 'yaml' && format !== 'json') throw new UsageError(`--format is yaml or json, not "${format}"`);
  const databaseUrl = parsed.values['database-url'];
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new UsageError('--database-url must be a postgres:// or postgresql:// URL');
  }
  return { file, ...(databaseUrl === undefined ? {} : { databaseUrl }), ...(format === undefined ? {} : { format }) };
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

async function main(): Promise<number> {
  const { file, databaseUrl, format } = options(process.argv.slice(2));
  const text = readModel(file);
  const layers = databaseUrl ? [liveDatabaseLayer(databaseUrl)] : [];
  const validation = await validateModelText(text, { fileName: file, ...(format ? { format } : {}), layers });
  console.log(formatValidation(file, validation).join('\n'));
  return validation.ok ? 0 : 1;
}

runCommand('model:check', main);
