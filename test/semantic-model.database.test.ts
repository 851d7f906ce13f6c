import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkModelAgainstDatabase, type CatalogReader } from '../src/services/semantic-model/database-check.js';
import { parseSemanticModel } from '../src/services/semantic-model/parse.js';
import { cleanEnv, runProcess } from './support/processes.js';

/** The local PostgreSQL; this file creates its own database on it and drops it afterwards. */
const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const FIXTURES = 'test/fixtures/models';

/** The tables the three good models describe, with the types Django would create. */
const SCHEMA = `
CREATE TABLE orders (id bigint PRIMARY KEY, project text NOT NULL, status text NOT NULL, amount numeric(12,2) NOT NULL,
  customer text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE ventas_cliente (id bigint PRIMARY KEY, nombre varchar(200) NOT NULL, empresa_id bigint NOT NULL);
CREATE TABLE ventas_pedido (id bigint PRIMARY KEY, estado varchar(1) NOT NULL, total numeric(12,2) NOT NULL,
  creado timestamptz NOT NULL, cliente_id bigint REFERENCES ventas_cliente, empresa_id bigint NOT NULL);
CREATE TABLE crm_pais (id serial PRIMARY KEY, nombre text NOT NULL, codigo char(2) NOT NULL);
CREATE TABLE crm_cuenta (id bigint PRIMARY KEY, nombre text NOT NULL, organizacion_id bigint NOT NULL,
  pais_id integer REFERENCES crm_pais, creada timestamptz NOT NULL);
CREATE TABLE crm_oportunidad (id bigint PRIMARY KEY, etapa varchar(20) NOT NULL, importe numeric NOT NULL,
  fecha_cierre timestamptz, cuenta_id bigint NOT NULL REFERENCES crm_cuenta);
CREATE TABLE crm_factura (id bigint PRIMARY KEY, numero text NOT NULL, estado text NOT NULL, total numeric NOT NULL,
  emitida timestamptz NOT NULL, cuenta_id bigint NOT NULL REFERENCES crm_cuenta);
`;

let name: string;
let url: string;
let client: pg.Client;
const catalog: CatalogReader = {
  query: async (sql, params) => (await client.query(sql, params ? [...params] : [])).rows,
};

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  name = `semantic_model_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const target = new URL(ADMIN_URL);
  target.pathname = `/${name}`;
  url = target.toString();
  client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(SCHEMA);
});

afterAll(async () => {
  await client?.end().catch(() => {});
  if (name) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

async function check(file: string): Promise<[number | undefined, string, string][]> {
  const parsed = parseSemanticModel(readFileSync(file, 'utf8'), { fileName: file });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const issues = await checkModelAgainstDatabase(parsed.model, catalog, { sourceMap: parsed.sourceMap });
  return issues.map((i) => [i.line, i.path, i.message]);
}

/** Runs `work` after `ddl` inside a transaction that is rolled back: every test starts from SCHEMA. */
async function withChange<T>(ddl: string, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(ddl);
    return await work();
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('the database layer', () => {
  it.each(['models/demo.yaml', `${FIXTURES}/ventas.yaml`, `${FIXTURES}/crm.yaml`])('%s matches its tables', async (file) => {
    expect(await check(file)).toEqual([]);
  });

  it('a dropped column is an error at the line that exposes it, reported once', async () => {
    const issues = await withChange('ALTER TABLE ventas_pedido DROP COLUMN total', () => check(`${FIXTURES}/ventas.yaml`));
    expect(issues).toEqual([
      [15, 'models[0].columns[2]', 'column "total" does not exist in public.ventas_pedido (dropped or renamed?)'],
    ]);
  });

  it('a missing table', async () => {
    const issues = await withChange('ALTER TABLE crm_factura RENAME TO crm_facturas', () => check(`${FIXTURES}/crm.yaml`));
    expect(issues).toEqual([[108, 'models[3].table', 'table public.crm_factura does not exist, or the connecting user cannot read it']]);
  });

  it('types must fit their use', async () => {
    const issues = await withChange(
      `ALTER TABLE ventas_pedido DROP CONSTRAINT ventas_pedido_cliente_id_fkey;
       ALTER TABLE ventas_pedido ALTER COLUMN total TYPE text, ALTER COLUMN creado TYPE text, ALTER COLUMN estado TYPE integer USING 0,
         ALTER COLUMN cliente_id TYPE text`,
      () => check(`${FIXTURES}/ventas.yaml`),
    );
    expect(issues).toEqual([
      [23, 'models[0].dimensions[0].values[0].value', '"P" cannot be stored in estado, which is integer (and 3 more values)'],
      [36, 'models[0].dimensions[1].column', 'a time dimension needs a date or timestamp column; creado is text'],
      [48, 'models[0].measures[1].column', 'sum needs a numeric column; total is text'],
      [55, 'models[0].measures[2].column', 'avg needs a numeric column; total is text'],
      [68, 'models[0].joins[0].foreign_key', 'cliente_id is text but cliente.id is bigint: the join cannot match'],
    ]);
  });

  it('a time column stored as a date or a local timestamp must say so (column_type), else windows would shift by the zone', async () => {
    expect(await withChange('ALTER TABLE ventas_pedido ALTER COLUMN creado TYPE date', () => check(`${FIXTURES}/ventas.yaml`))).toEqual([
      [36, 'models[0].dimensions[1].column', 'creado is date: declare column_type: date'],
    ]);
    expect(
      await withChange("ALTER TABLE ventas_pedido ALTER COLUMN creado TYPE timestamp USING creado AT TIME ZONE 'UTC'", () => check(`${FIXTURES}/ventas.yaml`)),
    ).toEqual([[36, 'models[0].dimensions[1].column', 'creado is timestamp without time zone: declare column_type: timestamp']]);
  });

  it('a schema-per-tenant model finds its table in a tenant schema', async () => {
    const text = readFileSync(`${FIXTURES}/ventas.yaml`, 'utf8')
      .replace('table: public.ventas_cliente', 'table: ventas_cliente')
      .replace(/tenancy:\n {6}column: empresa_id\n {4}columns: \[id, nombre, empresa_id\]/, 'tenancy: { schema_per_tenant: true }\n    columns: [id, nombre]');
    const parsed = parseSemanticModel(text);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const run = () => checkModelAgainstDatabase(parsed.model, catalog);
    await withChange('CREATE SCHEMA tenant_a; ALTER TABLE ventas_cliente SET SCHEMA tenant_a', async () => expect(await run()).toEqual([]));
    await withChange('DROP TABLE ventas_cliente CASCADE', async () =>
      expect(await run()).toEqual([{ path: 'models[1].table', message: 'table ventas_cliente does not exist, or the connecting user cannot read it' }]),
    );
  });
});

describe('npm run model:check -- FILE --database-url URL', () => {
  const run = (...args: string[]) => runProcess('npm', ['run', '--silent', 'model:check', '--', ...args], cleanEnv());

  it('adds the database layer', async () => {
    const { code, output } = await run(`${FIXTURES}/ventas.yaml`, '--database-url', url);
    expect(output).toBe(`${FIXTURES}/ventas.yaml\n  structure: ok\n  semantics: ok\n  database: ok\nok: no errors\n`);
    expect(code).toBe(0);
  });

  it('reports drift with its line and exits 1', async () => {
    await client.query('ALTER TABLE crm_oportunidad RENAME COLUMN importe TO monto');
    try {
      const file = `${FIXTURES}/crm.yaml`;
      const { code, output } = await run(file, '--database-url', url);
      expect(output).toContain(`  database: 1 error\n    ${file}:67:`);
      expect(output).toContain('models[2].columns[2]: column "importe" does not exist in public.crm_oportunidad (dropped or renamed?)');
      expect(code).toBe(1);
    } finally {
      await client.query('ALTER TABLE crm_oportunidad RENAME COLUMN monto TO importe');
    }
  });

  it('an unreachable database is an error, not a crash', async () => {
    const { code, output } = await run('models/demo.yaml', '--database-url', 'postgres://postgres@127.0.0.1:1/none');
    expect(output).toMatch(/ {2}database: 1 error\n {4}models\/demo\.yaml: cannot read the database catalog: .*ECONNREFUSED/);
    expect(code).toBe(1);
  });
});
