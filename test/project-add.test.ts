import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { migrate, MIGRATION_IDS } from '../src/adapters/db/migrations.js';
import { createDemoTables } from '../src/adapters/db/seed.js';
import { createServiceContainer } from '../src/services/container.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { cleanEnv, runProcess } from './support/processes.js';
import { TEST_SECRET } from './support/tokens.js';

/** npm run project:add against a real PostgreSQL database migrated and holding the ventas tables. */
const GOOD = 'test/fixtures/models/ventas.yaml';
const good = readFileSync(GOOD, 'utf8');

let test: TestDatabase;
let unmigrated: TestDatabase;
let dir: string;

beforeAll(async () => {
  [test, unmigrated] = await Promise.all([createTestDatabase('postgres'), createTestDatabase('postgres')]);
  await migrate(test.db);
  await test.db.exec(readFileSync('test/fixtures/schemas/ventas.sql', 'utf8'));
  await createDemoTables(test.db); // the demo model's orders table, empty
  dir = mkdtempSync(join(tmpdir(), 'project-add-'));
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await Promise.all([test?.drop(), unmigrated?.drop()]);
});

/** `url` null: no DATABASE_URL at all. */
function run(args: string[], url: string | null = test.url ?? null) {
  return runProcess('npm', ['run', '--silent', 'project:add', '--', ...args], cleanEnv(url === null ? {} : { DATABASE_URL: url }));
}

/** A variant of the good model, written to a file: `edit` must change it. */
function variant(name: string, edit: (text: string) => string): string {
  const text = edit(good);
  if (text === good) throw new Error(`variant ${name} changed nothing`);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

type Stored = { display_name: string; open_to_all: boolean; allowed_user_ids: string[]; tenant: string | null; version: string | null };
async function stored(slug: string): Promise<Stored | undefined> {
  const [row] = await test.db.query<Stored>(
    'SELECT display_name, open_to_all, allowed_user_ids, tenant, md5(semantic_model::text) AS version FROM chat_api.projects WHERE slug = $1',
    [slug],
  );
  return row;
}

describe('npm run project:add: good models', () => {
  it('registers a new project with its validated model, tenant and users, and prints the report', async () => {
    const { code, output } = await run(['--slug', 'ventas_acme', '--model', GOOD, '--tenant', '1', '--users', '1,2', '--name', 'Ventas ACME']);
    expect(output).toBe(
      `${GOOD}\n  structure: ok\n  semantics: ok\n  database: ok\nok: no errors\n` +
        'project ventas_acme registered: 2 models, tenant 1, open to users 1,2, model-written SQL off; running services pick it up within PROJECT_CACHE_TTL_MS\n',
    );
    expect(code).toBe(0);
    const row = await stored('ventas_acme');
    expect(row).toMatchObject({ display_name: 'Ventas ACME', open_to_all: false, allowed_user_ids: ['1', '2'], tenant: '1' });
    // The registry reads it back as a semantic project (checked again on load).
    const services = createServiceContainer(containerDeps('0'))(test.db);
    const project = await services.projects.existing('ventas_acme');
    expect(project.semantic?.tenant).toBe('1');
    expect(project.semantic?.model.models.map((m) => m.name)).toEqual(['pedido', 'cliente']);
    expect(project.semantic?.version).toBe(row?.version);
  });

  it('an update keeps what its flags do not mention; --open-to-all and --users switch access', async () => {
    const renamed = variant('renamed.yaml', (t) => t.replace('label: { es: Pedidos, en: Orders }', 'label: { es: Ventas, en: Orders }'));
    let result = await run(['--slug', 'ventas_keep', '--model', GOOD, '--open-to-all', '--tenant', '2']);
    expect(result.output).toMatch(/project ventas_keep registered: 2 models, tenant 2, open to every user, model-written SQL off;/);
    const before = await stored('ventas_keep');

    result = await run(['--slug', 'ventas_keep', '--model', renamed]);
    expect(result.output).toMatch(/project ventas_keep updated: 2 models, tenant 2, open to every user, model-written SQL off;/);
    expect(result.code).toBe(0);
    const after = await stored('ventas_keep');
    expect(after).toMatchObject({ display_name: 'ventas_keep', open_to_all: true, allowed_user_ids: [], tenant: '2' });
    expect(after?.version).not.toBe(before?.version);

    result = await run(['--slug', 'ventas_keep', '--model', renamed, '--users', '7, 8,7', '--name', 'Keep']);
    expect(result.output).toMatch(/project ventas_keep updated: 2 models, tenant 2, open to users 7,8, model-written SQL off;/);
    expect(await stored('ventas_keep')).toMatchObject({ display_name: 'Keep', open_to_all: false, allowed_user_ids: ['7', '8'] });
  });

  it('without --tenant the tenant is the slug', async () => {
    const { code, output } = await run(['--slug', 'demo_slug', '--model', 'models/demo.yaml', '--users', '3']);
    expect(output).toMatch(/project demo_slug registered: 1 model, tenant demo_slug \(its slug\), open to user 3, model-written SQL off;/);
    expect(code).toBe(0);
    expect((await stored('demo_slug'))?.tenant).toBeNull();
  });

  it('a tenant that does not fit a tenant column is refused, naming the column', async () => {
    const { code, output } = await run(['--slug', 'ventas_slug', '--model', GOOD, '--users', '3']);
    expect(output).toContain('model pedido: the tenant "ventas_slug" does not fit public.ventas_pedido.empresa_id (invalid input syntax for type bigint');
    expect(output).toContain('project ventas_slug not changed: the tenant does not fit');
    expect(code).toBe(1);
    expect(await stored('ventas_slug')).toBeUndefined();
  });
});

describe('npm run project:add: a bad model is refused and the last good one stays', () => {
  const slug = 'ventas_guarded';
  let goodVersion: string | null | undefined;

  beforeAll(async () => {
    const { code } = await run(['--slug', slug, '--model', GOOD, '--users', '1', '--tenant', '1']);
    expect(code).toBe(0);
    goodVersion = (await stored(slug))?.version;
    expect(goodVersion).toMatch(/^[0-9a-f]{32}$/);
  });

  async function expectRefused(file: string, report: string[]) {
    const { code, output } = await run(['--slug', slug, '--model', file, '--users', '9']);
    for (const line of report) expect(output).toContain(line);
    expect(output).toContain(`project ${slug} not changed: its model has errors (the stored model, if any, stays)\n`);
    expect(code).toBe(1);
    // Neither the model nor the flags given with it were written.
    expect(await stored(slug)).toMatchObject({ version: goodVersion, allowed_user_ids: ['1'] });
  }

  it('a structure error, with its line', async () => {
    const file = variant('structure.yaml', (t) => t.replace('type: count_distinct', 'type: median'));
    await expectRefused(file, [
      `  structure: 1 error\n    ${file}:61:`,
      'models[0].measures[3].type',
      '  semantics: skipped (the structure has errors)\n  database: skipped (the structure has errors)\n1 error\n',
    ]);
  });

  it('a semantic error, with its line', async () => {
    const file = variant('semantic.yaml', (t) => t.replace('foreign_key: cliente_id', 'foreign_key: cliente_ref'));
    await expectRefused(file, [`  structure: ok\n  semantics: `, `    ${file}:68:`, 'models[0].joins[0].foreign_key']);
  });

  it('a column the database no longer has, caught by the database layer', async () => {
    await test.db.query('ALTER TABLE ventas_pedido RENAME COLUMN total TO total_bruto');
    try {
      await expectRefused(GOOD, [
        '  structure: ok\n  semantics: ok\n  database: 1 error\n',
        `    ${GOOD}:15:27: models[0].columns[2]: column "total" does not exist in public.ventas_pedido (dropped or renamed?)\n1 error\n`,
      ]);
    } finally {
      await test.db.query('ALTER TABLE ventas_pedido RENAME COLUMN total_bruto TO total');
    }
  });
});

describe('npm run project:add: refusals in one line', () => {
  it.each([
    ['a bad slug', ['--slug', 'ventas acme', '--model', GOOD], /^project:add: --slug "ventas acme" must be 1 to 64 letters, digits, _ or -\n$/],
    ['no slug', ['--model', GOOD], /^project:add: --slug is required \(usage: npm run project:add -- /],
    ['no model', ['--slug', 'x'], /^project:add: --model FILE is required/],
    ['an unknown file', ['--slug', 'x', '--model', 'nowhere/model.yaml'], /^project:add: nowhere\/model\.yaml: no such file\n$/],
    ['an unknown option', ['--slug', 'x', '--model', GOOD, '--tennant', '1'], /^project:add: unknown option --tennant \(usage: /],
    ['both access flags', ['--slug', 'x', '--model', GOOD, '--open-to-all', '--users', '1'], /^project:add: give --open-to-all or --users, not both\n$/],
    ['a bad user id', ['--slug', 'x', '--model', GOOD, '--users', '1,,2'], /^project:add: --users is a comma-separated list of user ids; "" is not one\n$/],
    ['both guarded-SQL flags', ['--slug', 'x', '--model', GOOD, '--users', '1', '--guarded-sql', '--no-guarded-sql'], /^project:add: give --guarded-sql or --no-guarded-sql, not both\n$/],
  ])('%s', async (_, args, message) => {
    const { code, output } = await run(args);
    expect(output).toMatch(message);
    expect(output).not.toMatch(/\n {4}at /);
    expect(code).toBe(1);
  });

  it('a new project must say who may use it; nothing is stored', async () => {
    const { code, output } = await run(['--slug', 'ventas_nobody', '--model', GOOD, '--tenant', '1']);
    expect(output).toMatch(/\nproject:add: project "ventas_nobody" is new: say who may use it with --open-to-all or --users 1,2,3\n$/);
    expect(code).toBe(1);
    expect(await stored('ventas_nobody')).toBeUndefined();
  });

  it('no DATABASE_URL', async () => {
    const { code, output } = await run(['--slug', 'x', '--model', GOOD], null);
    expect(output).toBe('project:add: set DATABASE_URL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/chat\n');
    expect(code).toBe(1);
  });

  it('a bad DATABASE_SCHEMA', async () => {
    const env = cleanEnv({ DATABASE_URL: test.url ?? '', DATABASE_SCHEMA: 'Public' });
    const { code, output } = await runProcess('npm', ['run', '--silent', 'project:add', '--', '--slug', 'x', '--model', GOOD, '--users', '1'], env);
    expect(output).toMatch(/^project:add: DATABASE_SCHEMA: must be a lower-case identifier .*\n$/);
    expect(code).toBe(1);
  });

  it('another DATABASE_SCHEMA is another registry: this one is not migrated there', async () => {
    const env = cleanEnv({ DATABASE_URL: test.url ?? '', DATABASE_SCHEMA: 'chat_other' });
    const { code, output } = await runProcess('npm', ['run', '--silent', 'project:add', '--', '--slug', 'x', '--model', GOOD, '--users', '1'], env);
    expect(output).toMatch(new RegExp(`^project:add: the database is not migrated \\(${MIGRATION_IDS.length} pending, .*run npm run db:migrate first\\n$`));
    expect(code).toBe(1);
  });

  it('an unmigrated database, with the hint', async () => {
    const { code, output } = await run(['--slug', 'x', '--model', GOOD, '--users', '1'], unmigrated.url ?? null);
    expect(output).toBe(`project:add: the database is not migrated (${MIGRATION_IDS.length} pending, from 0001_projects_and_orders): run npm run db:migrate first\n`);
    expect(code).toBe(1);
  });

  it('an unreachable database', async () => {
    const { code, output } = await run(['--slug', 'x', '--model', GOOD, '--users', '1'], 'postgres://postgres@127.0.0.1:1/none');
    expect(output).toMatch(/^project:add: cannot reach the database: .*ECONNREFUSED.*\n$/);
    expect(code).toBe(1);
  });
});

function containerDeps(ttlMs: string) {
  return {
    config: parseConfig({ JWT_SECRET_KEY: TEST_SECRET, PROJECT_CACHE_TTL_MS: ttlMs }),
    model: null,
    embeddings: null,
    now: () => new Date(),
    describeFailure: () => 'test',
    unfinishedTurnFailure: 'test',
  };
}

describe('a running service picks up a changed model within PROJECT_CACHE_TTL_MS', () => {
  it('the cache serves the old model until its entry expires, then the new one', async () => {
    // Long enough for the command (about 2 s of tsx start-up) to finish inside it, so the stale read below is checked.
    const ttlMs = 4_000;
    const slug = 'ventas_live';
    expect((await run(['--slug', slug, '--model', GOOD, '--users', '1', '--tenant', '1'])).code).toBe(0);
    // Built once, as the app builds it for a process; each lookup binds it to the database again.
    const container = createServiceContainer(containerDeps(String(ttlMs)));
    const lookup = () => container(test.db).projects.existing(slug);
    const first = await lookup();
    const firstAt = Date.now();
    expect(first.semantic?.model.models[0]?.label?.es).toBe('Pedidos');

    // Written behind the cache's back, as project:add in another process would.
    const changed = variant('live.yaml', (t) => t.replace('label: { es: Pedidos, en: Orders }', 'label: { es: Ventas, en: Orders }'));
    const { code } = await run(['--slug', slug, '--model', changed]);
    expect(code).toBe(0);
    const changedVersion = (await stored(slug))?.version;
    expect(changedVersion).not.toBe(first.semantic?.version);

    // Within the TTL the cached project is still served (only checkable if the command was quick).
    if (Date.now() - firstAt < ttlMs - 200) expect((await lookup()).semantic?.version).toBe(first.semantic?.version);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstAt + ttlMs + 50 - Date.now())));
    const next = await lookup();
    expect(next.semantic?.version).toBe(changedVersion);
    expect(next.semantic?.model.models[0]?.label?.es).toBe('Ventas');
  });
});
