import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { databaseLayer } from '../src/services/semantic-model/database-check.js';
import { draftSemanticModel, isFrameworkTable, isSecretColumn, type Draft, type DraftModelDef } from '../src/services/semantic-model/draft.js';
import { draftToYaml } from '../src/services/semantic-model/draft-yaml.js';
import { introspectDatabase, IntrospectionError, type Introspection, type IntrospectedTable } from '../src/services/semantic-model/introspect.js';
import type { ModelIssue } from '../src/services/semantic-model/issues.js';
import { validateModelText } from '../src/services/semantic-model/validate.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { cleanEnv, runProcess } from './support/processes.js';

/**
 * A Django sales app in public (with Django's own tables and a user table with a password) and
 * a CRM app in its own schema, as Django would create them (bigserial keys, *_id foreign keys,
 * a CharField(max_length=1) with choices stored as codes).
 */
const SALES = `
CREATE TABLE django_migrations (id serial PRIMARY KEY, app varchar(255) NOT NULL, name varchar(255) NOT NULL, applied timestamptz NOT NULL);
CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text NOT NULL, expire_date timestamptz NOT NULL);
CREATE TABLE auth_permission (id serial PRIMARY KEY, name varchar(255) NOT NULL, codename varchar(100) NOT NULL);
CREATE TABLE auth_user (id serial PRIMARY KEY, password varchar(128) NOT NULL, last_login timestamptz, is_superuser boolean NOT NULL,
  username varchar(150) NOT NULL UNIQUE, first_name varchar(150) NOT NULL, email varchar(254) NOT NULL, date_joined timestamptz NOT NULL);
CREATE TABLE ventas_empresa (id bigserial PRIMARY KEY, nombre varchar(200) NOT NULL, api_key varchar(64) NOT NULL);
CREATE TABLE ventas_cliente (id bigserial PRIMARY KEY, nombre varchar(200) NOT NULL, empresa_id bigint NOT NULL REFERENCES ventas_empresa);
CREATE TYPE prioridad AS ENUM ('baja', 'media', 'alta');
CREATE TABLE ventas_pedido (id bigserial PRIMARY KEY, estado char(1) NOT NULL, total numeric(12,2) NOT NULL,
  creado timestamptz NOT NULL, actualizado timestamptz NOT NULL, cliente_id bigint NOT NULL REFERENCES ventas_cliente,
  empresa_id bigint NOT NULL REFERENCES ventas_empresa, vendedor_id integer REFERENCES auth_user,
  prioridad prioridad NOT NULL DEFAULT 'media');
CREATE TABLE ventas_lineapedido (id bigserial PRIMARY KEY, pedido_id bigint NOT NULL REFERENCES ventas_pedido, cantidad integer NOT NULL,
  precio numeric(12,2) NOT NULL, descuento_pct smallint NOT NULL);
CREATE TABLE ventas_moneda (id serial PRIMARY KEY, codigo char(3) NOT NULL, nombre text NOT NULL);
INSERT INTO auth_user (password, is_superuser, username, first_name, email, date_joined)
  VALUES ('pbkdf2_sha256$x', false, 'ana', 'Ana', 'ana@example.com', now());
INSERT INTO ventas_empresa (nombre, api_key) VALUES ('Acme', 'k1'), ('Globex', 'k2');
INSERT INTO ventas_cliente (nombre, empresa_id) VALUES ('Ana', 1), ('Luis', 1), ('Marta', 2);
INSERT INTO ventas_pedido (estado, total, creado, actualizado, cliente_id, empresa_id)
  SELECT (ARRAY['P','E','C','X'])[1 + i % 4], 10 * i, now() - i * interval '1 day', now(), 1 + i % 3, 1 + i % 2 FROM generate_series(1, 12) AS i;
INSERT INTO ventas_lineapedido (pedido_id, cantidad, precio, descuento_pct) VALUES (1, 2, 9.5, 0), (2, 1, 20, 10);
INSERT INTO ventas_moneda (codigo, nombre) VALUES ('EUR', 'Euro'), ('USD', 'Dólar');
`;

const CRM = `
CREATE SCHEMA crm;
CREATE TABLE crm.crm_organizacion (id bigserial PRIMARY KEY, nombre text NOT NULL, creada timestamptz NOT NULL DEFAULT now());
CREATE TABLE crm.crm_cuenta (id bigserial PRIMARY KEY, nombre text NOT NULL, organizacion_id bigint NOT NULL REFERENCES crm.crm_organizacion);
CREATE TABLE crm.crm_oportunidad (id bigserial PRIMARY KEY, etapa varchar(20) NOT NULL, importe numeric(14,2) NOT NULL, fecha_cierre date,
  cuenta_id bigint NOT NULL REFERENCES crm.crm_cuenta);
INSERT INTO crm.crm_organizacion (nombre) VALUES ('Org A'), ('Org B');
INSERT INTO crm.crm_cuenta (nombre, organizacion_id) VALUES ('Cuenta 1', 1), ('Cuenta 2', 2);
INSERT INTO crm.crm_oportunidad (etapa, importe, fecha_cierre, cuenta_id)
  SELECT (ARRAY['ganada','perdida','abierta'])[1 + i % 3], 100 * i, current_date - i, 1 + i % 2 FROM generate_series(1, 9) AS i;
`;

function model(draft: Draft, name: string): DraftModelDef {
  const found = draft.document.models.find((m) => m.name === name);
  if (!found) throw new Error(`no model ${name} in ${draft.document.models.map((m) => m.name).join(', ')}`);
  return found;
}

function dimension(def: DraftModelDef, name: string) {
  const found = def.dimensions?.find((d) => d.name === name);
  if (!found) throw new Error(`no dimension ${name} in ${def.name}`);
  return found;
}

/** Every issue of every failed layer. */
function issuesOf(validation: Awaited<ReturnType<typeof validateModelText>>): ModelIssue[] {
  return validation.layers.flatMap((l) => (l.status === 'failed' ? l.issues : []));
}

describe.each(['postgres', 'embedded'] as const)('model:init on %s', (kind) => {
  let test: TestDatabase;
  let sales: Draft;
  let crm: Draft;

  beforeAll(async () => {
    test = await createTestDatabase(kind);
    await test.db.exec(SALES + CRM);
    sales = draftSemanticModel(await introspectDatabase(test.db));
    crm = draftSemanticModel(await introspectDatabase(test.db, { schema: 'crm' }));
  });

  afterAll(async () => {
    await test?.drop();
  });

  it("skips Django's own tables and never exposes secret-looking columns", () => {
    expect(sales.document.models.map((m) => m.table)).toEqual([
      'public.auth_user',
      'public.ventas_cliente',
      'public.ventas_empresa',
      'public.ventas_lineapedido',
      'public.ventas_moneda',
      'public.ventas_pedido',
    ]);
    expect(sales.header.join('\n')).toContain(
      "Skipped tables: auth_permission (Django's own table), django_migrations (Django's own table), django_session (Django's own table).",
    );
    expect(model(sales, 'user').columns).toEqual(['id', 'last_login', 'is_superuser', 'username', 'first_name', 'email', 'date_joined']);
    expect(model(sales, 'empresa').columns).toEqual(['id', 'nombre']);
    expect(sales.comments).toContainEqual({
      path: ['models', 2],
      text: expect.stringContaining('not exposed (secret-looking or not an identifier): api_key'),
    });
  });

  it('names models after their tables without the app prefix, with singular and plural words', () => {
    expect(sales.document.models.map((m) => [m.name, m.words])).toEqual([
      ['user', { en: ['user', 'users'] }],
      ['cliente', { es: ['cliente', 'clientes'] }],
      ['empresa', { es: ['empresa', 'empresas'] }],
      ['lineapedido', { es: ['lineapedido', 'lineapedidos'] }],
      ['moneda', { es: ['moneda', 'monedas'] }],
      ['pedido', { es: ['pedido', 'pedidos'] }],
    ]);
    expect(crm.document.models.map((m) => [m.name, m.table, m.words])).toEqual([
      ['cuenta', 'crm.crm_cuenta', { es: ['cuenta', 'cuentas'] }],
      ['oportunidad', 'crm.crm_oportunidad', { es: ['oportunidad', 'oportunidades'] }],
      ['organizacion', 'crm.crm_organizacion', { es: ['organización', 'organizaciones'] }],
    ]);
  });

  it('drafts primary keys, many-to-one joins named after the foreign key, a primary time dimension and measures', () => {
    const pedido = model(sales, 'pedido');
    expect(pedido.primary_key).toBe('id');
    expect(pedido.joins).toEqual([
      { name: 'cliente', model: 'cliente', foreign_key: 'cliente_id' },
      { name: 'empresa', model: 'empresa', foreign_key: 'empresa_id' },
      { name: 'vendedor', model: 'user', foreign_key: 'vendedor_id' },
    ]);
    expect(pedido.dimensions?.filter((d) => d.type === 'time')).toEqual([
      { name: 'creado', column: 'creado', type: 'time', granularities: ['day', 'week', 'month', 'quarter', 'year'], primary: true, words: { es: ['creado'] } },
      { name: 'actualizado', column: 'actualizado', type: 'time', granularities: ['day', 'week', 'month', 'quarter', 'year'], words: { es: ['actualizado'] } },
    ]);
    expect(pedido.measures).toEqual([
      { name: 'pedidos', type: 'count', format: 'integer', words: { es: ['número de pedidos', 'cantidad de pedidos'] } },
      { name: 'total', type: 'sum', column: 'total', format: 'currency', words: { es: ['total', 'total de pedidos'] } },
    ]);
    // date_joined, not last_login, is what "users this month" means.
    expect(model(sales, 'user').dimensions?.filter((d) => d.type === 'time' && d.primary).map((d) => d.column)).toEqual(['date_joined']);
    // The only date column is primary whatever its name.
    expect(dimension(model(crm, 'oportunidad'), 'fecha_cierre')).toMatchObject({ type: 'time', primary: true });
    // Amount-like numbers are summed; a percentage is not an amount.
    expect(model(sales, 'lineapedido').measures?.map((m) => [m.name, m.type, m.format])).toEqual([
      ['lineapedidos', 'count', 'integer'],
      ['cantidad', 'sum', 'number'],
      ['precio', 'sum', 'currency'],
    ]);
    expect(model(sales, 'moneda').joins).toBeUndefined();
  });

  it('lists the values of low-cardinality text columns, worded from the values; codes are TODOs', () => {
    expect(dimension(model(crm, 'oportunidad'), 'etapa')).toEqual({
      name: 'etapa',
      column: 'etapa',
      type: 'categorical',
      words: { es: ['etapa'] },
      values: [
        { value: 'abierta', words: { es: ['abierta', 'abiertas'] } },
        { value: 'ganada', words: { es: ['ganada', 'ganadas'] } },
        { value: 'perdida', words: { es: ['perdida', 'perdidas'] } },
      ],
    });
    const estado = dimension(model(sales, 'pedido'), 'estado');
    expect(estado.type === 'categorical' && estado.values).toEqual(
      ['C', 'E', 'P', 'X'].map((value) => ({ value, words: { es: [`TODO: words for value ${value}`] } })),
    );
    expect(sales.comments).toContainEqual({
      path: ['models', 5, 'dimensions', 2],
      text: 'values read from the data (4 distinct): Django choices labels are not in the database, add them from models.py',
    });
    // An enum type's labels are its values, in their declared order, whatever the rows hold.
    expect(dimension(model(sales, 'pedido'), 'prioridad')).toEqual({
      name: 'prioridad',
      column: 'prioridad',
      type: 'categorical',
      words: { es: ['prioridad'] },
      values: [
        { value: 'baja', words: { es: ['baja', 'bajas'] } },
        { value: 'media', words: { es: ['media', 'medias'] } },
        { value: 'alta', words: { es: ['alta', 'altas'] } },
      ],
    });
    // Names are free text: a dimension without values, even when few.
    expect(dimension(model(sales, 'cliente'), 'nombre')).toEqual({ name: 'nombre', column: 'nombre', type: 'categorical', words: { es: ['nombre'] } });
    // Two currencies, both different: too few rows to call it a closed list.
    expect(dimension(model(sales, 'moneda'), 'codigo')).not.toHaveProperty('values');
  });

  it('infers the tenant: a column, the tenant table by its key, via a join, and a TODO without a path', () => {
    const tenancy = (draft: Draft) => Object.fromEntries(draft.document.models.map((m) => [m.name, m.tenancy]));
    const noPath =
      'TODO: tenancy (no foreign key path to the tenant ventas_empresa; declare column: C, via: JOIN, or shared: true if every tenant may see every row)';
    expect(tenancy(sales)).toEqual({
      user: noPath,
      cliente: { column: 'empresa_id' },
      empresa: { column: 'id' },
      lineapedido: { via: 'pedido' },
      moneda: noPath,
      pedido: { column: 'empresa_id' },
    });
    expect(tenancy(crm)).toEqual({ cuenta: { column: 'organizacion_id' }, oportunidad: { via: 'cuenta' }, organizacion: { column: 'id' } });
    expect(sales.header).toContain('Tenancy: ventas_empresa is the tenant: 2 tables reference it through a tenant-like key.');
    expect(crm.header).toContain('Tenancy: crm_organizacion is the tenant: 1 table references it through a tenant-like key.');
    expect(crm.comments.filter((c) => c.path.length === 2)).toEqual([
      { path: ['models', 0], text: 'tenancy: organizacion_id references the tenant crm_organizacion' },
      { path: ['models', 1], text: 'tenancy through the join cuenta' },
      { path: ['models', 2], text: "the tenant's own table: each tenant sees its own row, so its key is the tenancy column" },
    ]);
  });

  it('--tenant-column overrides the inference; --tables limits the draft', async () => {
    const byCliente = draftSemanticModel(await introspectDatabase(test.db), { tenantColumn: 'cliente_id' });
    expect(Object.fromEntries(byCliente.document.models.map((m) => [m.name, m.tenancy]))).toMatchObject({
      cliente: { column: 'id' },
      pedido: { column: 'cliente_id' },
      lineapedido: { via: 'pedido' },
      empresa: expect.stringMatching(/^TODO: tenancy/),
    });
    expect(byCliente.header).toContain('Tenancy: --tenant-column cliente_id (it references ventas_cliente, whose key scopes that table).');
    const byNothing = draftSemanticModel(await introspectDatabase(test.db), { tenantColumn: 'proyecto_id' });
    expect(byNothing.header).toContain('Tenancy: --tenant-column proyecto_id, but no drafted table has that column.');
    expect(new Set(byNothing.document.models.map((m) => m.tenancy))).toEqual(
      new Set(['TODO: tenancy (no column proyecto_id and no join to a table with it; declare column: C, via: JOIN or shared: true)']),
    );
    const two = await introspectDatabase(test.db, { tables: ['ventas_pedido', 'auth_permission'] });
    expect(two.tables.map((t) => t.name)).toEqual(['auth_permission', 'ventas_pedido']);
    const draft = draftSemanticModel(two);
    // The join targets are not drafted: no joins, and the comment says why.
    expect(model(draft, 'pedido').joins).toBeUndefined();
    expect(draft.comments.find((c) => c.path.join() === 'models,1')?.text).toContain(
      'cliente_id references public.ventas_cliente, which is not drafted: no join',
    );
  });

  it('the TODOs fail the check, each at its line, saying what to fill in', async () => {
    const text = draftToYaml(sales, { schemaPath: '../schemas/semantic-model.schema.json' });
    const lines = text.split('\n');
    const validation = await validateModelText(text);
    expect(validation.ok).toBe(false);
    const issues = issuesOf(validation);
    expect(issues.map((i) => i.path)).toEqual([
      'models[0].tenancy',
      'models[4].tenancy',
      'models[5].dimensions[2].values[0].words.es[0]',
      'models[5].dimensions[2].values[1].words.es[0]',
      'models[5].dimensions[2].values[2].words.es[0]',
      'models[5].dimensions[2].values[3].words.es[0]',
    ]);
    expect(issues[2]?.message).toBe('fill in: words for value C');
    expect(issues[0]?.message).toMatch(/^fill in: tenancy \(no foreign key path to the tenant ventas_empresa;/);
    for (const issue of issues) expect(lines[(issue.line ?? 0) - 1]).toContain('TODO');
  });

  it('filled in, the draft checks clean in every layer, the database included', async () => {
    const words: Record<string, string> = { C: 'completado', E: 'enviado', P: 'pendiente', X: 'cancelado' };
    const text = draftToYaml(sales, { schemaPath: '../schemas/semantic-model.schema.json' })
      .replace(/"TODO: words for value (\w)"/g, (_, code: string) => words[code] ?? code)
      .replace(/"TODO: tenancy[^"]*"/g, '{ shared: true }');
    expect(text).not.toContain('"TODO');
    const validation = await validateModelText(text, { layers: [databaseLayer(test.db)] });
    expect(issuesOf(validation)).toEqual([]);
    expect(validation.layers.map((l) => `${l.layer}: ${l.status}`)).toEqual(['structure: passed', 'semantics: passed', 'database: passed']);

    // The CRM draft has nothing left to decide.
    const crmText = draftToYaml(crm, { schemaPath: 'x.json' });
    expect(crmText).not.toContain('"TODO');
    const crmValidation = await validateModelText(crmText, { layers: [databaseLayer(test.db)] });
    expect(issuesOf(crmValidation)).toEqual([]);
  });

  it('one-line errors for a missing schema, an empty schema, an unknown table and too many tables', async () => {
    await expect(introspectDatabase(test.db, { schema: 'nope' })).rejects.toThrow(new IntrospectionError('schema "nope" does not exist'));
    await test.db.exec('CREATE SCHEMA empty_one');
    await expect(introspectDatabase(test.db, { schema: 'empty_one' })).rejects.toThrow(
      'schema "empty_one" has no tables (or the user cannot see them)',
    );
    await expect(introspectDatabase(test.db, { tables: ['ventas_pedidos'] })).rejects.toThrow('no table ventas_pedidos in schema "public"');
    await expect(introspectDatabase(test.db, { maxTables: 5 })).rejects.toThrow(
      'schema "public" has 6 tables, at most 5 per model: choose some with --tables a,b,…',
    );
  });
});

describe('value reads are bounded', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await test?.drop();
  });

  it('more than the threshold is free text; a read past the statement timeout leaves the values out', async () => {
    await test.db.exec(`
      CREATE TABLE app_evento (id bigserial PRIMARY KEY, tipo text NOT NULL, canal text NOT NULL);
      INSERT INTO app_evento (tipo, canal) SELECT 'tipo' || (i % 30), 'web' FROM generate_series(1, 200) AS i;
      CREATE TABLE app_grande (id bigserial PRIMARY KEY, tipo text NOT NULL);
      INSERT INTO app_grande (tipo) SELECT md5(i::text) FROM generate_series(1, 300000) AS i;`);
    const described = await introspectDatabase(test.db, { valueThreshold: 20, valuesTimeoutMs: 20, tables: ['app_evento', 'app_grande'] });
    const columns = Object.fromEntries(described.tables.flatMap((t) => t.columns.map((c) => [`${t.name}.${c.name}`, c.values])));
    expect(columns['app_evento.tipo']).toEqual({ kind: 'many' });
    expect(columns['app_evento.canal']).toEqual({ kind: 'values', values: ['web'], repeats: true });
    expect(columns['app_grande.tipo']).toEqual({ kind: 'unread', reason: 'timed out after 20 ms' });
    const draft = draftSemanticModel(described);
    expect(draft.comments).toContainEqual({
      path: ['models', 1, 'dimensions', 0],
      text: 'values not read (timed out after 20 ms): list them by hand if this is a choices field',
    });
  });
});

describe('draft rules without a database', () => {
  const table = (name: string, columns: [string, IntrospectedTable['columns'][number]['category']][], extra: Partial<IntrospectedTable> = {}): IntrospectedTable => ({
    schema: 'public',
    name,
    columns: columns.map(([column, category]) => ({ name: column, dataType: category, udtName: category, category, nullable: false })),
    primaryKey: ['id'],
    foreignKeys: [],
    ...extra,
  });
  const introspection = (tables: IntrospectedTable[]): Introspection => ({
    schema: 'public',
    valueThreshold: 20,
    tables,
    schemaTables: tables.map((t) => t.name),
    skippedTables: [],
  });

  it('English tables get English words; a lone table keeps its full name', () => {
    const draft = draftSemanticModel(
      introspection([
        table('orders', [['id', 'integer'], ['amount', 'decimal'], ['status', 'text'], ['created_at', 'timestamp'], ['company_id', 'integer']], {
          foreignKeys: [{ columns: ['company_id'], targetSchema: 'public', targetTable: 'companies', targetColumns: ['id'] }],
        }),
        table('companies', [['id', 'integer'], ['name', 'text']]),
        table('order_categories', [['id', 'integer'], ['label', 'text']]),
      ]),
    );
    expect(draft.document.models.map((m) => [m.name, m.words])).toEqual([
      ['orders', { en: ['order', 'orders'] }],
      ['companies', { en: ['company', 'companies'] }],
      ['order_categories', { en: ['order category', 'order categories'] }],
    ]);
    const orders = draft.document.models[0];
    expect(orders?.tenancy).toEqual({ column: 'company_id' });
    expect(orders?.measures).toEqual([
      { name: 'orders', type: 'count', format: 'integer', words: { en: ['number of orders', 'count of orders'] } },
      { name: 'amount', type: 'sum', column: 'amount', format: 'currency', words: { en: ['amount', 'order amount'] } },
    ]);
    expect(draft.document.models[1]?.tenancy).toEqual({ column: 'id' });
    // No path to the tenant: fail closed, never shared.
    expect(draft.document.models[2]?.tenancy).toMatch(/^TODO: tenancy/);
  });

  it('declares how a time column stores time: a date, a timestamp without time zone, or (by default) an instant', () => {
    const columns = (dataType: string) => ({ name: 'fecha', dataType, udtName: dataType, category: dataType === 'date' ? ('date' as const) : ('timestamp' as const), nullable: false });
    for (const [dataType, expected] of [
      ['date', { column_type: 'date' }],
      ['timestamp without time zone', { column_type: 'timestamp' }],
      ['timestamp with time zone', {}],
    ] as const) {
      const pagos = table('pagos', [['id', 'integer'], ['empresa_id', 'integer']]);
      const draft = draftSemanticModel(introspection([{ ...pagos, columns: [...pagos.columns, columns(dataType)] }]), { tenantColumn: 'empresa_id' });
      const time = draft.document.models[0]?.dimensions?.find((d) => d.type === 'time');
      expect(time, dataType).toMatchObject({ column: 'fecha', type: 'time', primary: true, ...expected });
      if (!('column_type' in expected)) expect(time).not.toHaveProperty('column_type');
    }
  });

  it('without any tenant-like key every model is a TODO; no primary key is a TODO', () => {
    const draft = draftSemanticModel(introspection([table('things', [['code', 'text']], { primaryKey: [] })]));
    expect(draft.document.models[0]?.tenancy).toBe(
      'TODO: tenancy (no tenant-like key such as empresa_id or company_id found; declare column: C, via: JOIN or shared: true, or rerun with --tenant-column)',
    );
    expect(draft.document.models[0]?.primary_key).toBe('TODO: primary key (the table has none; name a unique column)');

    const composite = draftSemanticModel(
      introspection([
        table('stock', [['id', 'integer'], ['sku', 'text'], ['site', 'text']], {
          foreignKeys: [{ columns: ['sku', 'site'], targetSchema: 'public', targetTable: 'item', targetColumns: ['sku', 'site'] }],
        }),
      ]),
    );
    expect(composite.document.models[0]?.joins).toBeUndefined();
    expect(composite.comments).toContainEqual({ path: ['models', 0], text: 'composite foreign key (sku, site) to item: no join' });
  });

  it('stored values keep their type through the YAML; a name too long for a word is a TODO, not a schema error', async () => {
    const long = table('app_ticket_line_item_adjustment_history_entry', [['id', 'integer'], ['flag', 'text']]);
    const flag = long.columns[1];
    if (flag) flag.values = { kind: 'values', values: ['1', 'NO', 'true', 'yes'], repeats: true };
    const draft = draftSemanticModel(introspection([long]));
    const text = draftToYaml(draft, { schemaPath: 's.json' });
    const parsed: unknown = parseYaml(text);
    expect(parsed).toMatchObject({ models: [{ dimensions: [{ values: [{ value: '1' }, { value: 'NO' }, { value: 'true' }, { value: 'yes' }] }] }] });
    const issues = issuesOf(await validateModelText(text));
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['models[0].words.en[0]', 'fill in: words for app_ticket_line_item_adjustment_history_entry (its name is too long to be a word)'],
      ['models[0].tenancy', expect.stringMatching(/^fill in: tenancy/)],
      ['models[0].dimensions[0].values[0].words.en[0]', 'fill in: words for value 1'],
      ['models[0].dimensions[0].values[1].words.en[0]', 'fill in: words for value NO'],
      ['models[0].measures[0].words.en[0]', 'fill in: words for the count of app ticket line item adjustment history entries'],
    ]);
  });

  it('recognises framework tables and secret columns by name, not by substring', () => {
    expect(['django_session', 'django_admin_log', 'auth_group', 'auth_user_groups', 'token_blacklist_outstandingtoken'].filter(isFrameworkTable)).toHaveLength(5);
    expect(['auth_user', 'ventas_pedido', 'djangoish'].filter(isFrameworkTable)).toEqual([]);
    expect(['password', 'password_hash', 'reset_token', 'api_key', 'client_secret', 'salt', 'stripe_secret_key'].every(isSecretColumn)).toBe(true);
    expect(['hashtag', 'tokenizer', 'passage', 'keyword', 'total'].filter(isSecretColumn)).toEqual([]);
  });
});

describe('npm run model:init', () => {
  let test: TestDatabase;
  let dir: string;
  const run = (...args: string[]) => runProcess('npm', ['run', '--silent', 'model:init', '--', ...args], cleanEnv());

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    await test.db.exec(SALES);
    dir = mkdtempSync(join(tmpdir(), 'model-init-'));
  });
  afterAll(async () => {
    await test?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the draft with the schema header and exits 0; refuses to overwrite it', async () => {
    const out = join(dir, 'ventas.yaml');
    const { code, output } = await run('--database-url', test.url ?? '', '--out', out);
    expect(output).toBe(`wrote ${out}: 6 models, 6 TODOs to fill in; then: npm run model:check -- ${out} --database-url URL\n`);
    expect(code).toBe(0);
    const text = readFileSync(out, 'utf8');
    const schemaPath = relative(dir, resolve('schemas/semantic-model.schema.json'));
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${schemaPath}`);
    expect(text).toContain('# Drafted by npm run model:init from schema public');
    expect(text).toContain("    # values read from the data (4 distinct): Django choices labels are not in the database, add them from models.py\n      - name: estado");
    expect(text).toContain('      - {value: P, words: {es: ["TODO: words for value P"]}}');
    expect(issuesOf(await validateModelText(text))).toHaveLength(6);

    writeFileSync(out, 'hand-edited');
    const again = await run('--database-url', test.url ?? '', '--out', out);
    expect(again).toEqual({ code: 1, output: `model:init: ${out} exists: a draft never overwrites a model; use --force to replace it\n` });
    expect(readFileSync(out, 'utf8')).toBe('hand-edited');
  });

  it('--tables and --tenant-column', async () => {
    const out = join(dir, 'two.yaml');
    const { code, output } = await run('--database-url', test.url ?? '', '--tables', 'ventas_pedido, ventas_empresa', '--tenant-column', 'empresa_id', '--out', out);
    expect(output).toBe(`wrote ${out}: 2 models, 4 TODOs to fill in; then: npm run model:check -- ${out} --database-url URL\n`);
    expect(code).toBe(0);
    const parsed: unknown = parseYaml(readFileSync(out, 'utf8'));
    expect(parsed).toMatchObject({
      models: [
        { name: 'empresa', tenancy: { column: 'id' } },
        { name: 'pedido', tenancy: { column: 'empresa_id' }, joins: [{ name: 'empresa', model: 'empresa', foreign_key: 'empresa_id' }] },
      ],
    });
    const bad = await run('--database-url', test.url ?? '', '--tables', 'Ventas_Pedido', '--out', out);
    expect(bad).toEqual({ code: 1, output: 'model:init: "Ventas_Pedido" is not a lower-case identifier\n' });
  });

  it('an unreachable database and a bad URL are one-line errors, and nothing is written', async () => {
    const out = join(dir, 'none.yaml');
    const down = await run('--database-url', 'postgres://postgres@127.0.0.1:1/none', '--out', out);
    expect(down.output).toMatch(/^model:init: cannot read the database: .*ECONNREFUSED.*\n$/);
    expect(down.code).toBe(1);
    const bad = await run('--database-url', 'mysql://x', '--out', out);
    expect(bad).toEqual({ code: 1, output: 'model:init: --database-url must be a postgres:// or postgresql:// URL\n' });
    const noSchema = await run('--database-url', test.url ?? '', '--schema', 'nope', '--out', out);
    expect(noSchema).toEqual({ code: 1, output: 'model:init: schema "nope" does not exist\n' });
    expect(existsSync(out)).toBe(false);
  });
});
