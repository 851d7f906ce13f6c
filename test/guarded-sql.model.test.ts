import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/adapters/db/migrations.js';
import type { Row } from '../src/adapters/db/database.js';
import { loadSqlParser } from '../src/services/guarded-sql/load-parser.js';
import { ask, buildApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { cleanEnv, runProcess } from './support/processes.js';
import { accessClaims, signToken } from './support/tokens.js';

/**
 * Guarded SQL over a user's own schema, from its semantic model (test/fixtures/models/crm.yaml:
 * accounts with a tenant column, opportunities and invoices whose tenant is reached through the
 * account, countries shared by all): the administrator's statements come from model:check, the
 * project is switched on by project:add only once they are in place, and model-written SQL then
 * reads the model's tables and exposed columns for the project's tenant only.
 */
const MODEL = 'test/fixtures/models/crm.yaml';
const NOW = new Date('2026-05-15T12:00:00Z');
const FREE_FORM = 'dame un análisis libre de las cuentas, por favor';

type ChatJson = { respuesta: string; fuente: string; consulta?: string; datos?: { rows?: Row[] }; sql?: string };

let test: TestDatabase;
let model: FakeOpenAI;
let app: ReturnType<typeof buildApp>;

const command = (script: string, args: string[]) =>
  runProcess('npm', ['run', '--silent', script, '--', ...args], cleanEnv({ DATABASE_URL: test.url! }));
const projectAdd = (slug: string, tenant: string, ...flags: string[]) =>
  command('project:add', ['--slug', slug, '--model', MODEL, '--tenant', tenant, '--open-to-all', ...flags]);
/** The statements model:check prints after its report. */
const setupSql = (output: string) => output.slice(output.indexOf('GRANT USAGE'));

beforeAll(async () => {
  test = await createTestDatabase('postgres');
  await migrate(test.db);
  await test.db.exec(readFileSync('test/fixtures/schemas/crm.sql', 'utf8'));
  // A column the model does not expose: neither guarded SQL nor the reader may read it.
  await test.db.exec("ALTER TABLE crm_cuenta ADD COLUMN notas_internas text NOT NULL DEFAULT 'confidencial'");
  model = await new FakeOpenAI().start();
  app = buildApp(
    test.db,
    { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0', MODEL_BREAKER_FAILURES: '0', PROJECT_CACHE_TTL_MS: '0' },
    { sqlParser: await loadSqlParser(), now: () => NOW },
  );
}, 120_000);
afterEach(() => {
  model.script.length = 0;
});
afterAll(async () => {
  await model?.stop();
  await test?.drop();
});

const runSql = async (sql: string, proyecto: string): Promise<ChatJson> => {
  model.script.push({ toolCalls: [{ name: 'run_sql', arguments: JSON.stringify({ sql }) }] }, { text: 'Resumen de los datos.' });
  const response = await ask(app, { mensaje: FREE_FORM, usuario_id: '1', proyecto }, { token: signToken(accessClaims(1, {}, NOW.getTime())) });
  expect(response.status, await response.clone().text()).toBe(200);
  model.script.length = 0; // a refused query leaves the phrasing reply unused
  return (await response.json()) as ChatJson;
};
const one = async (sql: string) => (await test.db.query<{ n: number }>(sql))[0]!.n;

describe('guarded SQL over a semantic model (crm fixture, postgres)', () => {
  it('is set up from the statements model:check prints, and switched on by project:add only once they are in place', async () => {
    const before = await command('model:check', [MODEL, '--guarded-sql', '--database-url', test.url!]);
    expect(before.code).toBe(0);
    expect(before.output).toMatch(/guarded SQL: not set up yet:\n.*row-level security is not enforced on public\.crm_cuenta, public\.crm_oportunidad, public\.crm_factura/);
    const sql = setupSql(before.output);
    // Typed from the live database: the policy compares in the column's own type (its index serves it).
    expect(sql).toContain(`"organizacion_id" = NULLIF(current_setting('chat.tenant', true), '')::bigint`);
    expect(sql).toContain('GRANT SELECT ("id", "nombre", "codigo") ON "public"."crm_pais" TO chat_sql_reader;');
    expect(sql).not.toMatch(/notas_internas|crm_organizacion/);

    const refused = await projectAdd('crm_alfa', '1', '--guarded-sql');
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/project crm_alfa not changed: the database is not set up for guarded SQL\n$/);
    expect(refused.output).toContain(sql.trim());
    expect(await test.db.query("SELECT 1 FROM chat_api.projects WHERE slug = 'crm_alfa'")).toEqual([]);

    await test.db.exec(sql); // the administrator, once
    const after = await command('model:check', [MODEL, '--guarded-sql', '--database-url', test.url!]);
    expect(after.output).toMatch(/guarded SQL: in place/);

    for (const [slug, tenant] of [['crm_alfa', '1'], ['crm_beta', '2']] as const) {
      const added = await projectAdd(slug, tenant, '--guarded-sql');
      expect(added.output).toMatch(new RegExp(`project ${slug} registered: 4 models, tenant ${tenant}, open to every user, model-written SQL on;`));
      expect(added.code).toBe(0);
    }
  });

  it("offers run_sql described by the model's tables and exposed columns only", async () => {
    const before = model.requests.length;
    model.script.push({ text: 'Nada.' });
    await ask(app, { mensaje: FREE_FORM, usuario_id: '1', proyecto: 'crm_alfa' }, { token: signToken(accessClaims(1, {}, NOW.getTime())) });
    const runSqlTool = model.requests[before]!.body.tools!.find((t) => t.function.name === 'run_sql')! as { function: { description?: string } };
    expect(runSqlTool.function.description).toMatch(/public\.crm_oportunidad \(oportunidad[^)]*\) columns: id, etapa, importe, fecha_cierre, cuenta_id/);
    expect(runSqlTool.function.description).not.toMatch(/notas_internas|crm_organizacion|organizacion_id = |tenant \d/);
  });

  it("reads each tenant-scoped table for the project's tenant only: by column, through the join, and shared tables whole", async () => {
    for (const [slug, tenant] of [['crm_alfa', 1], ['crm_beta', 2]] as const) {
      const counts = await runSql(
        `SELECT (SELECT count(*) FROM crm_cuenta)::int AS cuentas, (SELECT count(*) FROM crm_oportunidad)::int AS oportunidades,
                (SELECT count(*) FROM crm_factura)::int AS facturas, (SELECT count(*) FROM crm_pais)::int AS paises`,
        slug,
      );
      expect(counts).toMatchObject({ fuente: 'database', consulta: 'run_sql' });
      expect(counts.datos?.rows).toEqual([
        {
          cuentas: await one(`SELECT count(*)::int AS n FROM crm_cuenta WHERE organizacion_id = ${tenant}`),
          oportunidades: await one(`SELECT count(*)::int AS n FROM crm_oportunidad o JOIN crm_cuenta c ON c.id = o.cuenta_id WHERE c.organizacion_id = ${tenant}`),
          facturas: await one(`SELECT count(*)::int AS n FROM crm_factura f JOIN crm_cuenta c ON c.id = f.cuenta_id WHERE c.organizacion_id = ${tenant}`),
          paises: await one('SELECT count(*)::int AS n FROM crm_pais'),
        },
      ]);
    }
  });

  it.each([
    ['another tenant by its column', 'SELECT count(*)::int AS n FROM crm_cuenta WHERE organizacion_id <> 1'],
    ['another tenant through a join', 'SELECT count(*)::int AS n FROM crm_factura f JOIN crm_cuenta c ON c.id = f.cuenta_id WHERE c.organizacion_id = 2'],
    ['rows whose parent is hidden', 'SELECT count(*)::int AS n FROM crm_oportunidad WHERE cuenta_id NOT IN (SELECT id FROM crm_cuenta)'],
  ])('sees no foreign row: %s', async (_name, sql) => {
    expect((await runSql(sql, 'crm_alfa')).datos?.rows).toEqual([{ n: 0 }]);
  });

  it.each([
    ['a column the model does not expose', 'SELECT notas_internas FROM crm_cuenta', /column notas_internas/],
    ['a table the model does not name', 'SELECT nombre FROM crm_organizacion', /table crm_organizacion is not allowed/],
    ['SELECT * (it would read unexposed columns)', 'SELECT * FROM crm_cuenta', /SELECT \* is not allowed/],
    ["the service's own tables", 'SELECT slug FROM chat_api.projects', /schema chat_api is not allowed/],
    ['the tenant setting', "SELECT count(*) FROM crm_cuenta WHERE current_setting('chat.tenant', true) IS NOT NULL", /current_setting/],
  ])('refuses %s', async (_name, sql, reason) => {
    const answer = await runSql(sql, 'crm_alfa');
    expect(answer.fuente).toBe('openai');
    expect(answer.respuesta).toMatch(/^No puedo responder esa pregunta de forma segura: /);
    expect(answer.respuesta).toMatch(reason);
  });

  it('stops answering when a policy goes away, and project:add will not switch it on again until it is back', async () => {
    await test.db.exec('DROP POLICY chat_tenant_isolation ON crm_factura');
    try {
      const answer = await runSql('SELECT count(*)::int AS n FROM crm_cuenta', 'crm_alfa');
      expect(answer.respuesta).toMatch(/model-written SQL is disabled: row-level security is not enforced on public\.crm_factura/);
      const again = await projectAdd('crm_alfa', '1', '--guarded-sql');
      expect(again.code).toBe(1);
      expect(again.output).toMatch(/not enforced on public\.crm_factura/);
    } finally {
      await test.db.exec(setupSql((await command('model:check', [MODEL, '--guarded-sql', '--database-url', test.url!])).output));
    }
    expect((await runSql('SELECT count(*)::int AS n FROM crm_cuenta', 'crm_alfa')).datos?.rows).toEqual([
      { n: await one('SELECT count(*)::int AS n FROM crm_cuenta WHERE organizacion_id = 1') },
    ]);
  });

  it('proves a policy by its effect: one that lets the reader see another tenant is refused by project:add', async () => {
    await test.db.exec(`DROP POLICY chat_tenant_isolation ON crm_cuenta;
CREATE POLICY chat_tenant_isolation ON crm_cuenta USING (current_user <> 'chat_sql_reader' OR organizacion_id IN (1, 2));`);
    try {
      const refused = await projectAdd('crm_alfa', '1', '--guarded-sql');
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/public\.crm_cuenta: chat_sql_reader sees \d+ rows for tenant 1, the model's queries \d+/);
    } finally {
      await test.db.exec(setupSql((await command('model:check', [MODEL, '--guarded-sql', '--database-url', test.url!])).output));
    }
  });

  it('--no-guarded-sql switches it off again', async () => {
    const off = await projectAdd('crm_beta', '2', '--no-guarded-sql');
    expect(off.output).toMatch(/model-written SQL off;/);
    const before = model.requests.length;
    model.script.push({ text: 'Nada.' });
    await ask(app, { mensaje: FREE_FORM, usuario_id: '1', proyecto: 'crm_beta' }, { token: signToken(accessClaims(1, {}, NOW.getTime())) });
    expect(model.requests[before]!.body.tools!.map((t) => t.function.name)).toEqual(['query_data']);
  });
});
