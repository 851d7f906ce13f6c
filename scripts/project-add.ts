/**
 * npm run project:add -- --slug SLUG --model FILE [--tenant VALUE] [--name "…"] [--open-to-all | --users 1,2,3] [--guarded-sql | --no-guarded-sql]
 *
 * Registers a project in the database named by DATABASE_URL, or replaces its semantic model, after
 * checking the model with every layer of model:check, the live database included (the same
 * database the service reads). A model with any error is not stored: the last good one stays.
 * Running services read the registry through their project cache, so they see the change within
 * PROJECT_CACHE_TTL_MS. --guarded-sql switches model-written SQL on only when the database is set
 * up for it (the reader role's grants and the tenant policies that model:check --guarded-sql
 * prints, proved by their effect for this project's tenant); otherwise nothing is changed and the
 * statements to run are printed. Exit 0 when stored; 1 otherwise, with the checker's report or one line.
 */
import { readFileSync } from 'node:fs';
import { databaseTables, parseOptions, requireDatabaseUrl, UsageError } from './cli.js';
import { ConfigError } from '../src/config.js';
import { DatabaseUnavailableError, type Database } from '../src/adapters/db/database.js';
import { pendingMigrations } from '../src/adapters/db/migrations.js';
import { createNodePostgresDatabase } from '../src/adapters/db/node-postgres.js';
import { BUSINESS_PROMPT } from '../src/adapters/db/seed.js';
import { InvalidInputError } from '../src/services/errors.js';
import { registerProject, type ProjectRegistration, type RegisteredProject } from '../src/services/projects.js';
import { databaseLayer } from '../src/services/semantic-model/database-check.js';
import { tenantProblems } from '../src/services/semantic-model/tenant-check.js';
import { columnTypes } from '../src/services/guarded-sql/column-types.js';
import { guardedSqlSetup } from '../src/services/guarded-sql/model-access.js';
import { guardedSqlSetupProblems } from '../src/services/guarded-sql/verify-setup.js';
import { formatValidation } from '../src/services/semantic-model/report.js';
import { validateModelText, type ModelLayer } from '../src/services/semantic-model/validate.js';

const USAGE =
  'usage: npm run project:add -- --slug SLUG --model FILE [--tenant VALUE] [--name "…"] [--open-to-all | --users 1,2,3] [--guarded-sql | --no-guarded-sql]';

/** The registry's own rule (projects.slug CHECK), checked here so that the message names the flag. */
const SLUG = /^[A-Za-z0-9_-]{1,64}$/;
/** User ids are compared as strings with the token's claim; Django's are integers, others may be UUIDs. */
const USER_ID = /^[A-Za-z0-9_.@-]{1,128}$/;

type Options = {
  slug: string;
  file: string;
  tenant?: string;
  name?: string;
  access?: ProjectRegistration['access'];
  guardedSql?: boolean;
};

function options(argv: string[]): Options {
  const parsed = parseOptions(argv, {
    slug: { type: 'string' },
    model: { type: 'string' },
    tenant: { type: 'string' },
    name: { type: 'string' },
    'open-to-all': { type: 'boolean' },
    users: { type: 'string' },
    'guarded-sql': { type: 'boolean' },
    'no-guarded-sql': { type: 'boolean' },
  }, USAGE);
  const v = parsed.values;
  if (v.slug === undefined) throw new UsageError(`--slug is required (${USAGE})`);
  if (!SLUG.test(v.slug)) throw new UsageError(`--slug "${v.slug}" must be 1 to 64 letters, digits, _ or -`);
  if (v.model === undefined) throw new UsageError(`--model FILE is required (${USAGE})`);
  if (v['guarded-sql'] && v['no-guarded-sql']) throw new UsageError('give --guarded-sql or --no-guarded-sql, not both');
  if (v['open-to-all'] && v.users !== undefined) throw new UsageError('give --open-to-all or --users, not both');
  let access: Options['access'];
  if (v['open-to-all']) access = { openToAll: true };
  if (v.users !== undefined) {
    const userIds = [...new Set(v.users.split(',').map((id) => id.trim()))];
    const bad = userIds.find((id) => !USER_ID.test(id));
    if (bad !== undefined) throw new UsageError(`--users is a comma-separated list of user ids; "${bad}" is not one`);
    access = { openToAll: false, userIds };
  }
  if (v.name !== undefined && (v.name.trim() === '' || v.name.length > 200)) throw new UsageError('--name must be 1 to 200 characters');
  if (v.tenant !== undefined && (v.tenant.trim() === '' || v.tenant.length > 200)) throw new UsageError('--tenant must be 1 to 200 characters');
  return {
    slug: v.slug,
    file: v.model,
    ...(v.tenant === undefined ? {} : { tenant: v.tenant.trim() }),
    ...(v.name === undefined ? {} : { name: v.name.trim() }),
    ...(access ? { access } : {}),
    ...(v['guarded-sql'] ? { guardedSql: true } : v['no-guarded-sql'] ? { guardedSql: false } : {}),
  };
}

function readModel(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(error)})`);
  }
}

/** The database layer over the service's own database; a failing catalog query is an issue, as in model:check. */
function catalogLayer(db: Database): ModelLayer {
  const layer = databaseLayer(db);
  return {
    name: layer.name,
    async run(model, sourceMap) {
      try {
        return await layer.run(model, sourceMap);
      } catch (error) {
        return [{ path: '', message: `cannot read the database catalog: ${firstLine(error)}` }];
      }
    },
  };
}

function describe(slug: string, models: number, project: RegisteredProject): string {
  const tenant = project.tenant === null ? `tenant ${slug} (its slug)` : `tenant ${project.tenant}`;
  const access = project.openToAll
    ? 'open to every user'
    : project.allowedUserIds.length === 0
      ? 'open to no user yet (--users 1,2,3)'
      : `open to user${project.allowedUserIds.length === 1 ? '' : 's'} ${project.allowedUserIds.join(',')}`;
  const sql = project.guardedSql ? 'model-written SQL on' : 'model-written SQL off';
  return (
    `project ${slug} ${project.created ? 'registered' : 'updated'}: ${models} model${models === 1 ? '' : 's'}, ${tenant}, ${access}, ${sql}; ` +
    'running services pick it up within PROJECT_CACHE_TTL_MS'
  );
}

async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  const text = readModel(opts.file);
  const tables = databaseTables();
  const db = createNodePostgresDatabase({ connectionString: requireDatabaseUrl(), max: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000 });
  try {
    const pending = await pendingMigrations(db, tables);
    if (pending.length > 0) {
      throw new UsageError(`the database is not migrated (${pending.length} pending, from ${pending[0]}): run npm run db:migrate first`);
    }
    const validation = await validateModelText(text, { fileName: opts.file, layers: [catalogLayer(db)] });
    console.log(formatValidation(opts.file, validation).join('\n'));
    if (!validation.ok || !validation.model) {
      console.log(`project ${opts.slug} not changed: its model has errors (the stored model, if any, stays)`);
      return 1;
    }
    // The tenant the project will have: the one given, else the stored one, else the slug.
    const [existing] = await db.query<{ tenant: string | null }>(`SELECT tenant FROM ${tables.projects} WHERE slug = $1`, [opts.slug]);
    const tenant = opts.tenant ?? existing?.tenant ?? opts.slug;
    const misfits = await tenantProblems(db, validation.model, tenant);
    if (misfits.length > 0) {
      console.log(misfits.map((problem) => `  ${problem}`).join('\n'));
      console.log(`project ${opts.slug} not changed: the tenant does not fit the model's tenant columns (--tenant VALUE sets it)`);
      return 1;
    }
    if (opts.guardedSql) {
      const problems = await guardedSqlSetupProblems(db, validation.model, tenant);
      if (problems.length > 0) {
        const setup = guardedSqlSetup(validation.model, await columnTypes(db, validation.model));
        console.log(problems.map((problem) => `  ${problem}`).join('\n'));
        if (setup.ok) console.log(`\n-- Run once as the tables' owner (or a superuser), then run this command again:\n${setup.sql}`);
        console.log(`project ${opts.slug} not changed: the database is not set up for guarded SQL`);
        return 1;
      }
    }
    const registered = await registerProject(db, tables, {
      slug: opts.slug,
      model: validation.model,
      systemPrompt: BUSINESS_PROMPT.replace('{name}', opts.name ?? opts.slug),
      ...(opts.name === undefined ? {} : { displayName: opts.name }),
      ...(opts.tenant === undefined ? {} : { tenant: opts.tenant }),
      ...(opts.access ? { access: opts.access } : {}),
      ...(opts.guardedSql === undefined ? {} : { guardedSql: opts.guardedSql }),
    });
    console.log(describe(opts.slug, validation.model.models.length, registered));
    return 0;
  } finally {
    await db.close();
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // One line, no stack: usage mistakes, an unreachable database and unexpected failures alike.
    const known = error instanceof UsageError || error instanceof ConfigError || error instanceof InvalidInputError;
    const prefix = known ? '' : error instanceof DatabaseUnavailableError ? 'cannot reach the database: ' : 'failed: ';
    console.error(`project:add: ${prefix}${firstLine(error)}`);
    process.exitCode = 1;
  },
);
