/**
 * npm run model:init -- --database-url URL --out FILE [--schema S] [--tables a,b] [--tenant-column C] [--force]
 *
 * Drafts a semantic model from a live database's catalog and data (introspect.ts → draft.ts →
 * draft-yaml.ts) and writes it to FILE. The draft is meant to fail `model:check` until its TODOs
 * are filled in. Exit code 0 when written; 1 with a one-line message otherwise (bad option,
 * unreachable database, empty schema, existing file without --force).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodePostgresDatabase } from '../src/adapters/db/node-postgres.js';
import { draftSemanticModel } from '../src/services/semantic-model/draft.js';
import { draftToYaml } from '../src/services/semantic-model/draft-yaml.js';
import { introspectDatabase, INTROSPECT_DEFAULTS } from '../src/services/semantic-model/introspect.js';
import { findTodoMarkers } from '../src/services/semantic-model/issues.js';
import { JSON_SCHEMA_PATH } from '../src/services/semantic-model/json-schema.js';
import { IDENTIFIER } from '../src/services/semantic-model/schema.js';
import { parseOptions, runCommand, UsageError } from './cli.js';

const USAGE =
  'usage: npm run model:init -- --database-url URL --out FILE [--schema S] [--tables a,b] [--tenant-column C] [--force]';

type Options = { databaseUrl: string; out: string; schema: string; tables?: string[]; tenantColumn?: string; force: boolean };

function options(argv: string[]): Options {
  const parsed = parseOptions(argv, {
    'database-url': { type: 'string' },
    out: { type: 'string' },
    schema: { type: 'string' },
    tables: { type: 'string' },
    'tenant-column': { type: 'string' },
    force: { type: 'boolean' },
  }, USAGE);
  const v = parsed.values;
  const databaseUrl = v['database-url'];
  if (databaseUrl === undefined) throw new UsageError(`--database-url is required (${USAGE})`);
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new UsageError('--database-url must be a postgres:// or postgresql:// URL');
  try {
    new URL(databaseUrl);
  } catch {
    throw new UsageError('--database-url is not a valid URL');
  }
  if (v.out === undefined) throw new UsageError(`--out FILE is required (${USAGE})`);
  const schema = v.schema ?? INTROSPECT_DEFAULTS.schema;
  const tables = v.tables?.split(',').map((t) => t.trim()).filter(Boolean);
  for (const name of [schema, ...(tables ?? []), ...(v['tenant-column'] ? [v['tenant-column']] : [])]) {
    // Models only name lower-case identifiers; anything else is a typo worth stopping at.
    if (!IDENTIFIER.test(name)) throw new UsageError(`"${name}" is not a lower-case identifier`);
  }
  if (tables && tables.length === 0) throw new UsageError('--tables needs at least one table name');
  return {
    databaseUrl,
    out: v.out,
    schema,
    ...(tables ? { tables } : {}),
    ...(v['tenant-column'] ? { tenantColumn: v['tenant-column'] } : {}),
    force: v.force ?? false,
  };
}

/** The JSON Schema as seen from the output file, for the yaml-language-server header. */
function schemaPathFor(out: string): string {
  // From this script's checkout, not the working directory: npm runs scripts from the package root.
  const schemaFile = fileURLToPath(new URL(`../${JSON_SCHEMA_PATH}`, import.meta.url));
  const path = relative(dirname(resolve(out)), schemaFile).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
}

/** Connection failures as one line: the driver's code or message, never a stack. */
function describeConnectionError(error: unknown): string {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code) return `${e.message || code}${e.message.includes(code) ? '' : ` (${code})`}`;
  }
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  if (existsSync(opts.out) && !opts.force) throw new UsageError(`${opts.out} exists: a draft never overwrites a model; use --force to replace it`);
  const db = createNodePostgresDatabase({ connectionString: opts.databaseUrl, max: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000 });
  try {
    let introspection;
    try {
      introspection = await introspectDatabase(db, { schema: opts.schema, ...(opts.tables ? { tables: opts.tables } : {}) });
    } catch (error) {
      if (error instanceof Error && error.name === 'IntrospectionError') throw error;
      throw new Error(`cannot read the database: ${describeConnectionError(error)}`);
    }
    const draft = draftSemanticModel(introspection, opts.tenantColumn ? { tenantColumn: opts.tenantColumn } : {});
    writeFileSync(opts.out, draftToYaml(draft, { schemaPath: schemaPathFor(opts.out) }));
    const todos = findTodoMarkers(draft.document).length;
    const models = draft.document.models.length;
    console.log(
      `wrote ${opts.out}: ${models} model${models === 1 ? '' : 's'}, ${todos} TODO${todos === 1 ? '' : 's'} to fill in` +
        `; then: npm run model:check -- ${opts.out} --database-url URL`,
    );
    return 0;
  } finally {
    await db.close().catch(() => {});
  }
}

runCommand('model:init', main);
