import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser } from '../src/services/guarded-sql/load-parser.js';
import { ask, buildApp, question } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';

type ChatJson = { respuesta: string; fuente: string; consulta?: string; datos?: { count?: number } };

// Words the deterministic matcher does not know, so the question reaches the model.
const FREE_FORM = 'necesito saber el volumen de envíos de la semana, porfa';
const PENDING = '{"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"pending"}]}';

describe("tool-calling: the model picks a query of the project's model, the server validates and runs it", () => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  let app: ReturnType<typeof buildApp>;
  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
    model = await new FakeOpenAI().start();
    app = buildApp(test.db, { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0' }, { sqlParser: await loadSqlParser() });
  });
  afterEach(() => {
    model.script.length = 0;
  });
  afterAll(async () => {
    await model?.stop();
    await test?.drop();
  });

  const chat = async (mensaje: string, proyecto = 'dashboard_miempresa') => {
    const response = await ask(app, question(mensaje, proyecto));
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as ChatJson;
  };
  const pending = async (project: string) =>
    (await test.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE project = $1 AND status = 'pending'`, [project]))[0]!.n;

  it("offers the demo model's query_data tool (and run_sql where the project opted in), without any project parameter", async () => {
    const before = model.requests.length;
    await chat(FREE_FORM, 'tienda_norte');
    await chat(FREE_FORM); // dashboard_miempresa: guarded SQL on
    const [plain, guarded] = [model.requests[before]!.body.tools!, model.requests[before + 1]!.body.tools!];
    expect(plain.map((t) => t.function.name)).toEqual(['query_data']);
    expect(guarded.map((t) => t.function.name)).toEqual(['query_data', 'run_sql']);
    const query = plain[0]!.function.parameters as { properties: Record<string, { enum?: string[] }> };
    expect(query.properties.model?.enum).toEqual(['orden']);
    expect(query.properties.measure?.enum).toEqual(['ordenes', 'importe', 'importe_neto']);
    expect(JSON.stringify(query)).toMatch(/"pending","shipped","delivered","cancelled"/);
    // The tenant column is exposed (guarded SQL reads it) but no tool takes a project or a tenant.
    expect(JSON.stringify(guarded.map((t) => t.function.parameters))).not.toMatch(/project|proyecto|tenant/);
  });

  it('runs a valid tool call with the server-bound project and phrases the real result', async () => {
    model.script.push({ toolCalls: [{ name: 'query_data', arguments: PENDING }] });
    const body = await chat(FREE_FORM);
    const expected = await pending('dashboard_miempresa');
    expect(body).toMatchObject({ fuente: 'database', consulta: 'aggregate', datos: { count: expected } });
    expect(body.respuesta).toBe(`Hay ${expected} órdenes pendientes.`);
  });

  it('ignores a project smuggled into the arguments: the server decides the tenant', async () => {
    // Refused outright (the schema is strict), then the model's plain call runs for the server's tenant.
    model.script.push(
      { toolCalls: [{ name: 'query_data', arguments: `${PENDING.slice(0, -1)},"project":"tienda_norte","proyecto":"tienda_norte"}` }] },
      { toolCalls: [{ name: 'query_data', arguments: PENDING }] },
    );
    const body = await chat(FREE_FORM);
    expect(body.datos?.count).toBe(await pending('dashboard_miempresa'));
    expect(body.datos?.count).not.toBe(await pending('tienda_norte'));
  });

  it('tells the model about invalid arguments and uses its second reply; nothing invalid runs', async () => {
    model.script.push(
      { toolCalls: [{ name: 'query_data', arguments: '{"model":"orden","measure":"ordenes","filters":[{"dimension":"status","equals":"lost; DROP TABLE orders"}]}' }] },
      { text: 'No tengo ese dato.' },
    );
    const before = model.requests.length;
    const body = await chat(FREE_FORM);
    expect(body).toMatchObject({ fuente: 'openai', respuesta: 'No tengo ese dato.' });
    const retry = model.requests[before + 1]!.body.messages!;
    expect(retry.at(-1)).toMatchObject({ role: 'tool', content: expect.stringMatching(/^Error: filters/) });
    expect((await test.db.query('SELECT 1 FROM orders LIMIT 1')).length).toBe(1);
  });

  it('recovers from an unknown tool when the model then picks a real one', async () => {
    model.script.push(
      { toolCalls: [{ name: 'drop_table', arguments: '{"table":"orders"}' }] },
      { toolCalls: [{ name: 'query_data', arguments: '{"model":"orden","latest":{"limit":3}}' }] },
    );
    const body = await chat(FREE_FORM);
    expect(body).toMatchObject({ fuente: 'database', consulta: 'latest' });
    expect((body.datos as { rows: unknown[] }).rows).toHaveLength(3);
  });

  it('says it cannot answer after two invalid tool calls', async () => {
    model.script.push(
      { toolCalls: [{ name: 'query_data', arguments: 'not json' }] },
      { toolCalls: [{ name: 'query_data', arguments: '{"model":"orden","measure":"ordenes","window":{"kind":"last_days","days":99999}}' }] },
    );
    const body = await chat(FREE_FORM);
    expect(body).toMatchObject({ fuente: 'openai', respuesta: expect.stringMatching(/^No pude responder/) });
  });

  it('returns the model text when it calls no tool', async () => {
    model.script.push({ text: 'Una orden pendiente es una orden aún no enviada.' });
    expect(await chat('¿Qué significa que una orden esté pendiente?')).toMatchObject({ fuente: 'openai', respuesta: 'Una orden pendiente es una orden aún no enviada.' });
  });

  it('offers no tools in a project without data', async () => {
    const before = model.requests.length;
    await chat('Explícame qué es una orden inbound', 'conocimiento_general');
    expect(model.requests[before]!.body.tools).toBeUndefined();
  });
});
