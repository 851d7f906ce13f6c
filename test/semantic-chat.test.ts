import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/adapters/db/database.js';
import { parseSemanticToolCall, QUERY_DATA, semanticShape, semanticTool } from '../src/services/chat/semantic.js';
import { compileQuery } from '../src/services/semantic-model/compile.js';
import { runSemanticQuery } from '../src/services/semantic-model/run.js';
import type { Language, SemanticModel, SemanticQuery } from '../src/services/semantic-model/schema.js';
import { DEMO_MODEL } from '../src/adapters/db/demo-model.generated.js';
import { ask, buildApp } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { enumerateQueries, loadModel } from './support/semantic-queries.js';
import { accessClaims, signToken } from './support/tokens.js';
import { CRM_POSITIVES, VENTAS_POSITIVES, type Positive } from './support/semantic-phrasings.js';

/**
 * Chat answers from a project's semantic model, through the HTTP API, on real PostgreSQL and
 * embedded PGlite: the Django-style fixtures (test/fixtures/schemas) are loaded next to the demo
 * data, and two projects per fixture are registered with different tenants. No language model is
 * configured for the deterministic part, so a question that did not match would fail with 503.
 */

const NOW = new Date('2026-05-15T12:00:00Z'); // the fixtures' pinned now (Friday; Madrid 14:00 CEST)
const TZ = 'Europe/Madrid';
const VENTAS = loadModel('test/fixtures/models/ventas.yaml');
const CRM = loadModel('test/fixtures/models/crm.yaml');
const fixture = (name: string) => readFileSync(new URL(`./fixtures/schemas/${name}.sql`, import.meta.url), 'utf8');
const token = (user: number | string = 1) => signToken(accessClaims(user, {}, NOW.getTime()));

type ChatJson = { respuesta: string; fuente: string; consulta?: string; datos?: Record<string, unknown>; conversacion_id: string };

/** Projects: [slug, fixture, model, tenant]. Customer and account names start with the tenant's name. */
const PROJECTS = [
  { slug: 'ventas_norte', model: VENTAS, tenant: '1', names: 'Norte', positives: VENTAS_POSITIVES },
  { slug: 'ventas_este', model: VENTAS, tenant: '3', names: 'Este', positives: VENTAS_POSITIVES },
  { slug: 'crm_alfa', model: CRM, tenant: '1', names: 'Alfa', positives: CRM_POSITIVES },
  { slug: 'crm_beta', model: CRM, tenant: '2', names: 'Beta', positives: CRM_POSITIVES },
] as const;

async function register(db: Database, slug: string, model: SemanticModel, tenant: string, openToAll = true) {
  await db.query(
    `INSERT INTO chat_api.projects (slug, display_name, system_prompt, open_to_all, allowed_user_ids, guarded_sql, semantic_model, tenant)
     VALUES ($1, $2, 'Eres un asistente de datos.', $3, '{}', false, $4::jsonb, $5)`,
    [slug, `Proyecto ${slug}`, openToAll, JSON.stringify(model), tenant],
  );
}

describe.each(['postgres', 'embedded'] as const)('semantic chat on the %s PostgreSQL', (kind) => {
  let test: TestDatabase;
  let db: Database;
  let app: ReturnType<typeof buildApp>;
  beforeAll(async () => {
    test = await createSeededDatabase(kind, NOW);
    db = test.db;
    await db.exec(fixture('ventas'));
    await db.exec(fixture('crm'));
    for (const p of PROJECTS) await register(db, p.slug, p.model, p.tenant);
    app = buildApp(db, { APP_TIMEZONE: TZ }, { now: () => NOW, model: null });
  });
  afterAll(() => test?.drop());

  const chat = async (mensaje: string, proyecto: string, conversacion_id?: string): Promise<ChatJson> => {
    const response = await ask(app, { mensaje, usuario_id: '1', proyecto, ...(conversacion_id ? { conversacion_id } : {}) }, { token: token() });
    expect(response.status, `${proyecto}: ${mensaje}: ${await response.clone().text()}`).toBe(200);
    return (await response.json()) as ChatJson;
  };
  const one = async (sql: string, params: unknown[]) => (await db.query(sql, params))[0] ?? {};
  const byKey = (rows: unknown, key: string, value: string) =>
    Object.fromEntries((rows as Record<string, unknown>[]).map((r) => [String(r[key]), Number(r[value])]));

  for (const project of PROJECTS) {
    it(`${project.slug}: answers ${project.positives.length} Spanish and English phrasings from the model, without the language model`, async () => {
      expect(project.positives.filter(([, , l]) => l === 'es').length).toBeGreaterThanOrEqual(20);
      expect(project.positives.filter(([, , l]) => l === 'en').length).toBeGreaterThanOrEqual(20);
      for (const [question, expected, language] of project.positives) {
        const answer = await chat(question, project.slug);
        expect(answer.fuente, question).toBe('database');
        expect(answer.consulta, question).toBe(semanticShape(expected));
        // The runner's numbers are checked against hand-written SQL in semantic-model.run.test.ts
        // (and below); here: the chat ran exactly the expected query for this project's tenant.
        const direct = await runSemanticQuery(db, project.model, expected, { tenant: project.tenant, now: NOW, timeZone: TZ }, language);
        expect(answer.datos, question).toEqual(JSON.parse(JSON.stringify(direct.datos)));
        expect(answer.respuesta, question).toBe(direct.respuesta);
      }
    });
  }

  for (const project of PROJECTS.filter((p) => p.model === VENTAS)) {
    it(`${project.slug}: the numbers are those of SQL written here for empresa ${project.tenant}`, async () => {
      const t = project.tenant;
      const expected = await one(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE estado = 'P')::int AS p, count(*) FILTER (WHERE estado = 'E')::int AS e,
                count(*) FILTER (WHERE estado = 'X' AND creado >= '2026-05-14T00:00:00+02:00' AND creado < '2026-05-15T00:00:00+02:00')::int AS x_ayer,
                coalesce(sum(total) FILTER (WHERE estado <> 'X' AND creado >= '2026-05-15T00:00:00+02:00' AND creado <= $2), 0)::text AS hoy,
                coalesce(sum(total) FILTER (WHERE estado <> 'X' AND creado >= '2026-05-01T00:00:00+02:00' AND creado <= $2), 0)::text AS mes
         FROM ventas_pedido WHERE empresa_id = $1`,
        [t, NOW.toISOString()],
      );
      expect((await chat('¿Cuántos pedidos hay?', project.slug)).datos).toEqual({ count: expected.n });
      expect((await chat('How many orders are there?', project.slug)).datos).toEqual({ count: expected.n });
      expect((await chat('cuantos pedidos pendientes hay', project.slug)).datos).toEqual({ count: expected.p });
      expect((await chat('how many pending orders', project.slug)).datos).toEqual({ count: expected.p });
      expect((await chat('pedidos cancelados ayer', project.slug)).datos).toEqual({ count: expected.x_ayer });
      expect((await chat('ventas de hoy', project.slug)).datos?.total).toBe(Number(expected.hoy));
      expect((await chat('sales this month', project.slug)).datos?.total).toBe(Number(expected.mes));

      const clientes = await one('SELECT count(*)::int AS n FROM ventas_cliente WHERE empresa_id = $1', [t]);
      expect((await chat('¿Cuántos clientes hay?', project.slug)).datos).toEqual({ count: clientes.n });

      const perStatus = await db.query<{ estado: string; n: number }>(
        'SELECT estado, count(*)::int AS n FROM ventas_pedido WHERE empresa_id = $1 GROUP BY estado',
        [t],
      );
      const breakdown = await chat('pedidos por estado', project.slug);
      expect(breakdown.consulta).toBe('breakdown');
      expect(byKey(breakdown.datos?.rows, 'estado', 'pedidos')).toEqual(Object.fromEntries(perStatus.map((r) => [r.estado, r.n])));

      const top = await db.query<{ nombre: string; s: string }>(
        `SELECT c.nombre, sum(p.total)::text AS s FROM ventas_pedido p JOIN ventas_cliente c ON c.id = p.cliente_id AND c.empresa_id = $1
         WHERE p.empresa_id = $1 AND p.estado <> 'X' GROUP BY c.nombre ORDER BY sum(p.total) DESC, c.nombre LIMIT 3`,
        [t],
      );
      const best = await chat('los 3 mejores clientes', project.slug);
      expect(best.consulta).toBe('top');
      expect((best.datos?.rows as Record<string, unknown>[]).map((r) => [r['cliente.nombre'], r.importe])).toEqual(top.map((r) => [r.nombre, Number(r.s)]));
    });
  }

  for (const project of PROJECTS.filter((p) => p.model === CRM)) {
    it(`${project.slug}: the numbers are those of SQL written here for organización ${project.tenant}`, async () => {
      const t = project.tenant;
      const opp = await one(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE o.etapa = 'abierta')::int AS abiertas
         FROM crm_oportunidad o JOIN crm_cuenta c ON c.id = o.cuenta_id WHERE c.organizacion_id = $1`,
        [t],
      );
      expect((await chat('¿Cuántas oportunidades hay?', project.slug)).datos).toEqual({ count: opp.n });
      expect((await chat('how many open deals', project.slug)).datos).toEqual({ count: opp.abiertas });
      const fac = await one(
        `SELECT count(*)::int AS n, coalesce(sum(f.total) FILTER (WHERE f.estado = 'emitida'), 0)::text AS pendiente
         FROM crm_factura f JOIN crm_cuenta c ON c.id = f.cuenta_id WHERE c.organizacion_id = $1`,
        [t],
      );
      expect((await chat('how many invoices', project.slug)).datos).toEqual({ count: fac.n });
      expect((await chat('¿Cuánto hay pendiente de cobro?', project.slug)).datos?.total).toBe(Number(fac.pendiente));
      const cuentas = await one(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE p.codigo = 'MX')::int AS mx
         FROM crm_cuenta c JOIN crm_pais p ON p.id = c.pais_id WHERE c.organizacion_id = $1`,
        [t],
      );
      expect((await chat('¿Cuántas cuentas hay?', project.slug)).datos).toEqual({ count: cuentas.n });
      expect((await chat('accounts from Mexico', project.slug)).datos).toEqual({ count: cuentas.mx });
      const perStatus = await db.query<{ estado: string; n: number }>(
        'SELECT f.estado, count(*)::int AS n FROM crm_factura f JOIN crm_cuenta c ON c.id = f.cuenta_id WHERE c.organizacion_id = $1 GROUP BY f.estado',
        [t],
      );
      const breakdown = await chat('invoices by status', project.slug);
      expect(byKey(breakdown.datos?.rows, 'estado', 'facturas')).toEqual(Object.fromEntries(perStatus.map((r) => [r.estado, r.n])));
    });
  }

  it("a tenant's project never sees another tenant's rows", async () => {
    for (const project of PROJECTS) {
      const [question, column] = project.model === VENTAS ? ['pedidos por cliente', 'cliente.nombre'] : ['oportunidades por cuenta', 'cuenta.nombre'];
      const rows = (await chat(question, project.slug)).datos?.rows as Record<string, unknown>[];
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        // empresa 3's pedido 9001 points at empresa 1's customer: the join shows no name, never "Norte …".
        if (row[column] !== null) expect(String(row[column]), project.slug).toMatch(new RegExp(`^${project.names}`));
      }
    }
    // Same question, same model, two tenants: each its own count.
    const counts = await db.query<{ empresa_id: string; n: number }>('SELECT empresa_id::text, count(*)::int AS n FROM ventas_pedido GROUP BY 1');
    const of = (tenant: string) => counts.find((c) => c.empresa_id === tenant)?.n;
    expect((await chat('¿Cuántos pedidos hay?', 'ventas_norte')).datos).toEqual({ count: of('1') });
    expect((await chat('¿Cuántos pedidos hay?', 'ventas_este')).datos).toEqual({ count: of('3') });
    expect(of('1')).not.toBe(of('3'));
  });

  it('answers follow-ups from the stored semantic query of the previous turn', async () => {
    const first = await chat('¿Cuántos pedidos pendientes hay?', 'ventas_norte');
    const stored = await db.query<{ query_call: unknown }>(
      "SELECT query_call FROM chat_api.messages WHERE conversation_id = $1 AND role = 'assistant' ORDER BY id",
      [first.conversacion_id],
    );
    expect(stored.map((r) => r.query_call)).toEqual([
      { kind: 'semantic', query: { model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'P' }] } },
    ]);
    const shipped = await chat('¿y los enviados?', 'ventas_norte', first.conversacion_id);
    const e = await one("SELECT count(*)::int AS n FROM ventas_pedido WHERE empresa_id = 1 AND estado = 'E'", []);
    expect(shipped).toMatchObject({ fuente: 'database', consulta: 'aggregate', datos: { count: e.n } });
    const perCustomer = await chat('¿y por cliente?', 'ventas_norte', first.conversacion_id);
    expect(perCustomer.consulta).toBe('breakdown');
    const expected = await db.query<{ nombre: string; n: number }>(
      `SELECT c.nombre, count(*)::int AS n FROM ventas_pedido p JOIN ventas_cliente c ON c.id = p.cliente_id AND c.empresa_id = 1
       WHERE p.empresa_id = 1 AND p.estado = 'E' GROUP BY c.nombre`,
      [],
    );
    expect(byKey(perCustomer.datos?.rows, 'cliente.nombre', 'pedidos')).toEqual(Object.fromEntries(expected.map((r) => [r.nombre, r.n])));

    const crm = await chat('cuentas de México', 'crm_beta');
    const spain = await chat('¿y de España?', 'crm_beta', crm.conversacion_id);
    const es = await one(
      "SELECT count(*)::int AS n FROM crm_cuenta c JOIN crm_pais p ON p.id = c.pais_id WHERE c.organizacion_id = 2 AND p.codigo = 'ES'",
      [],
    );
    expect(spain).toMatchObject({ fuente: 'database', datos: { count: es.n } });
    // A follow-up the model cannot express (no "last week" window) is not guessed: without a language model, 503.
    const response = await ask(app, { mensaje: '¿y la semana pasada?', usuario_id: '1', proyecto: 'crm_beta', conversacion_id: crm.conversacion_id }, { token: token() });
    expect(response.status, await response.clone().text()).toBe(503);
  });

  it('the demo projects answer through the demo model; a turn stored by the catalogue version gives no follow-up', async () => {
    const demo = await chat('¿Cuántas órdenes pendientes hay?', 'dashboard_miempresa');
    expect(demo.consulta).toBe('aggregate');
    const followUp = await chat('¿y las enviadas?', 'dashboard_miempresa', demo.conversacion_id);
    expect(followUp).toMatchObject({ fuente: 'database', consulta: 'aggregate' });
    const [row] = await db.query<{ query_call: unknown }>(
      "SELECT query_call FROM chat_api.messages WHERE conversation_id = $1 AND role = 'assistant' ORDER BY id LIMIT 1",
      [demo.conversacion_id],
    );
    expect(row?.query_call).toEqual({ kind: 'semantic', query: { model: 'orden', measure: 'ordenes', filters: [{ dimension: 'status', equals: 'pending' }] } });

    // A semantic project's turn whose stored call is a catalogue call, or a semantic query its
    // current model cannot answer (an older version), gives no follow-up rather than a wrong one.
    for (const stored of [{ name: 'count_orders', params: { status: 'pending' } }, { kind: 'semantic', query: { model: 'pedido', measure: 'no_such_measure' } }]) {
      const first = await chat('¿Cuántos pedidos pendientes hay?', 'ventas_norte');
      await db.query(
        `UPDATE chat_api.messages SET query_call = $2::jsonb WHERE id = (SELECT max(id) FROM chat_api.messages WHERE conversation_id = $1 AND role = 'assistant')`,
        [first.conversacion_id, JSON.stringify(stored)],
      );
      const response = await ask(app, { mensaje: '¿y por cliente?', usuario_id: '1', proyecto: 'ventas_norte', conversacion_id: first.conversacion_id }, { token: token() });
      expect(response.status, JSON.stringify(stored)).toBe(503);
    }
    // The same follow-up after the untouched turn is answered.
    const first = await chat('¿Cuántos pedidos pendientes hay?', 'ventas_norte');
    expect((await chat('¿y por cliente?', 'ventas_norte', first.conversacion_id)).consulta).toBe('breakdown');
  });

  it('semantic answers share the result cache, keyed per project and tenant', async () => {
    const cached = buildApp(db, { APP_TIMEZONE: TZ, RESULT_CACHE_TTL_MS: '60000' }, { now: () => NOW, model: null });
    const count = async (proyecto: string) => {
      const response = await ask(cached, { mensaje: 'how many customers', usuario_id: '1', proyecto }, { token: token() });
      return ((await response.json()) as ChatJson).datos;
    };
    const before = await count('ventas_norte');
    const other = await count('ventas_este');
    await db.query("INSERT INTO ventas_cliente (id, nombre, empresa_id) VALUES (99999, 'Norte cache', 1)");
    try {
      expect(await count('ventas_norte')).toEqual(before);
      expect(await count('ventas_este')).toEqual(other);
      // Without the cache the new row is counted: the cached answer really was a cached one.
      expect((await chat('how many customers', 'ventas_norte')).datos).toEqual({ count: (before as { count: number }).count + 1 });
    } finally {
      await db.query("DELETE FROM ventas_cliente WHERE id = 99999");
    }
  });

  it('lists the projects with their models\' example questions as suggestions', async () => {
    const list = async (query = '') => {
      const response = await app.request(`/api/v1/proyectos${query}`, { headers: { Authorization: `Bearer ${token()}` } });
      expect(response.status).toBe(200);
      return (await response.json()) as { proyecto: string; nombre: string; sugerencias?: string[] }[];
    };
    const all = await list();
    const ventas = all.find((p) => p.proyecto === 'ventas_norte');
    expect(ventas?.sugerencias).toEqual(VENTAS.examples.slice(0, 5).map((e) => e.question));
    // The demo projects' come from models/demo.yaml; a project without a model has none.
    expect(all.find((p) => p.proyecto === 'dashboard_miempresa')?.sugerencias).toEqual(DEMO_MODEL.examples.slice(0, 5).map((e) => e.question));
    expect(all.find((p) => p.proyecto === 'conocimiento_general')?.sugerencias).toBeUndefined();
    const english = await list('?idioma=en');
    expect(english.find((p) => p.proyecto === 'ventas_norte')?.sugerencias).toEqual(['How many customers do we have?']);
    expect(english.find((p) => p.proyecto === 'crm_alfa')?.sugerencias).toContain('Latest invoices');
    expect(english.find((p) => p.proyecto === 'crm_alfa')?.sugerencias).not.toContain('Cuentas de México');
    expect((await app.request('/api/v1/proyectos?idioma=fr', { headers: { Authorization: `Bearer ${token()}` } })).status).toBe(400);

    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as {
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
      components: { schemas: Record<string, { items?: { properties?: Record<string, unknown>; required?: string[] } }> };
    };
    expect(doc.paths['/api/v1/proyectos']?.get?.parameters?.map((p) => p.name)).toEqual(['idioma']);
    const item = doc.components.schemas.ProjectList?.items;
    expect(Object.keys(item?.properties ?? {})).toContain('sugerencias');
    expect(item?.required).not.toContain('sugerencias');
  });
});

describe('semantic chat: the model gets one typed tool and the server validates its arguments', () => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  let app: ReturnType<typeof buildApp>;
  // Words the matcher does not know, so the question reaches the model.
  const FREE_FORM = 'necesito un resumen rápido de lo que tenemos pendiente, porfa';
  beforeAll(async () => {
    test = await createSeededDatabase('embedded', NOW);
    await test.db.exec(fixture('ventas'));
    await register(test.db, 'ventas_sur', VENTAS, '2');
    model = await new FakeOpenAI().start();
    app = buildApp(test.db, { APP_TIMEZONE: TZ, OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0' }, { now: () => NOW });
  });
  afterEach(() => {
    model.script.length = 0;
  });
  afterAll(async () => {
    await model?.stop();
    await test?.drop();
  });

  const chat = async (mensaje: string) => {
    const response = await ask(app, { mensaje, usuario_id: '1', proyecto: 'ventas_sur' }, { token: token() });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as ChatJson;
  };
  const call = (args: unknown) => ({ toolCalls: [{ name: 'query_data', arguments: JSON.stringify(args) }] });
  const pending = async () =>
    (await test.db.query<{ n: number }>("SELECT count(*)::int AS n FROM ventas_pedido WHERE empresa_id = 2 AND estado = 'P'"))[0]!.n;

  it("offers only query_data, its schema generated from the project's model, with no tenant or project parameter", async () => {
    const before = model.requests.length;
    await chat(FREE_FORM);
    const tools = model.requests[before]!.body.tools!;
    expect(tools.map((t) => t.function.name)).toEqual(['query_data']);
    const parameters = tools[0]!.function.parameters as { properties: Record<string, { enum?: unknown[] }>; additionalProperties: boolean };
    expect(Object.keys(parameters.properties).sort()).toEqual(['filters', 'group_by', 'latest', 'limit', 'measure', 'model', 'order', 'series', 'window']);
    expect(parameters.additionalProperties).toBe(false);
    expect(parameters.properties.model?.enum).toEqual(['pedido', 'cliente']);
    expect(parameters.properties.measure?.enum).toEqual(expect.arrayContaining(['pedidos', 'importe', 'ticket_medio', 'clientes']));
    expect(JSON.stringify(parameters)).not.toMatch(/tenant|empresa_id|proyecto|project/);
  });

  it('runs a valid call for the server-bound tenant', async () => {
    model.script.push(call({ model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'P' }] }));
    const answer = await chat(FREE_FORM);
    expect(answer).toMatchObject({ fuente: 'database', consulta: 'aggregate', datos: { count: await pending() } });
  });

  it('sends invalid arguments back once with the error, then runs the corrected call', async () => {
    const before = model.requests.length;
    // `clientes` is a measure of cliente, not of pedido: the enum accepts it, checkQuery does not.
    model.script.push(call({ model: 'pedido', measure: 'clientes' }), call({ model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'P' }] }));
    const answer = await chat(FREE_FORM);
    expect(answer).toMatchObject({ fuente: 'database', datos: { count: await pending() } });
    const retry = model.requests[before + 1]!.body.messages!;
    expect(retry.at(-1)).toMatchObject({ role: 'tool' });
    expect(retry.at(-1)!.content).toMatch(/^Error: .*measure/);
  });

  it('refuses a smuggled tenant or project argument and values outside the model', async () => {
    const before = model.requests.length;
    model.script.push(
      call({ model: 'pedido', measure: 'pedidos', tenant: '1' }),
      call({ model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'empresa_id', equals: 1 }] }),
    );
    const answer = await chat(FREE_FORM);
    expect(answer.fuente).toBe('openai');
    expect(answer.datos).toBeUndefined();
    expect(model.requests[before + 1]!.body.messages!.at(-1)!.content).toMatch(/tenant/);
    model.script.push(call({ model: 'pedido', measure: 'pedidos', project: 'ventas_norte' }), call({ model: 'pedido', measure: 'pedidos', filters: [{ dimension: 'estado', equals: 'Z' }] }));
    expect((await chat(FREE_FORM)).fuente).toBe('openai');
  });

  it('a matched question still makes no model call', async () => {
    const before = model.requests.length;
    const answer = await chat('cuantos pedidos pendientes hay');
    expect(answer).toMatchObject({ fuente: 'database', datos: { count: await pending() } });
    expect(model.requests.length).toBe(before);
  });
});

describe('the query_data tool and consulta shapes cover every query of a model', () => {
  it.each([
    ['ventas', VENTAS],
    ['crm', CRM],
    ['demo', loadModel('models/demo.yaml')],
  ] as const)('%s', (_name, model) => {
    const tool = semanticTool(model);
    const queries = enumerateQueries(model);
    expect(queries.length).toBeGreaterThan(50);
    for (const query of queries) {
      // Every query the checker accepts is expressible through the tool, and consulta names the compiler's shape.
      expect(parseSemanticToolCall({ id: 'c', name: QUERY_DATA, arguments: JSON.stringify(query) }, model, tool), JSON.stringify(query)).toEqual({ ok: true, query });
      expect(semanticShape(query)).toBe(compileQuery(model, query, { tenant: 1, now: NOW, timeZone: TZ }).shape);
    }
  });
});
