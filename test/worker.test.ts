import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../scripts/free-port.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { cleanEnv, startProcess, type Started } from './support/processes.js';
import { hangUpAll, slowRequest } from './support/raw-http.js';
import { loadModel } from './support/semantic-queries.js';
import { accessToken, TEST_SECRET } from './support/tokens.js';

// A question the deterministic matcher leaves to the model (as in test/guarded-sql.test.ts).
const FREE_FORM = 'dame un análisis libre de los pedidos, por favor';

/** Polls until `find` returns a value; fails after `ms`. */
async function waitFor<T>(find: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`not found within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Variant = {
  name: string;
  start(db: TestDatabase, settings: Record<string, string>): Promise<{ process: Started; base: string }>;
};

/** `npm run dev`: wrangler dev (workerd), Neon's driver → the project's WebSocket bridge → PostgreSQL. */
const neonVariant: Variant = {
  name: 'Neon driver via npm run dev',
  async start(db, settings) {
    const process = await startProcess('npm', ['run', 'dev'], {
      env: cleanEnv({ PORT: String(await freePort()), DATABASE_URL: db.url!, ...settings }),
      ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/,
      timeoutMs: 90_000,
    });
    return { process, base: /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(process.output())![1]! };
  },
};

/** wrangler dev --env hyperdrive: node-postgres over the Hyperdrive binding, pointed at PostgreSQL. */
const hyperdriveVariant: Variant = {
  name: 'Hyperdrive binding (wrangler dev --env hyperdrive)',
  async start(db, settings) {
    const url = new URL(db.url!);
    url.password = 'unused'; // Miniflare requires one; the local server trusts loopback
    const args = ['dev', '--env', 'hyperdrive', '--ip', '127.0.0.1', '--port', String(await freePort()),
      '--inspector-port', String(await freePort()), '--show-interactive-dev-session=false',
      ...Object.entries(settings).flatMap(([k, v]) => ['--var', `${k}:${v}`])];
    const process = await startProcess(join('node_modules', '.bin', 'wrangler'), args, {
      env: cleanEnv({
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: url.toString(),
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        WRANGLER_SEND_METRICS: 'false',
      }),
      ready: /Ready on (http:\/\/127\.0\.0\.1:\d+)/,
      timeoutMs: 90_000,
    });
    return { process, base: /Ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(process.output())![1]! };
  },
};

/** The Worker in the real Workers runtime, against the local PostgreSQL and OpenAI-compatible server. */
describe.each([neonVariant, hyperdriveVariant])('the API as a Cloudflare Worker: $name', (variant) => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  let worker: Started;
  let base: string;

  beforeAll(async () => {
    test = await createSeededDatabase('postgres');
    // A project of the user's own (Django-style) tables, described by its semantic model.
    await test.db.exec(readFileSync('test/fixtures/schemas/ventas.sql', 'utf8'));
    await test.db.query(
      `INSERT INTO chat_api.projects (slug, display_name, system_prompt, open_to_all, semantic_model, tenant)
       VALUES ('ventas_norte', 'Ventas Norte', '', true, $1::jsonb, '1')`,
      [JSON.stringify(loadModel('test/fixtures/models/ventas.yaml'))],
    );
    model = await new FakeOpenAI().start();
    ({ process: worker, base } = await variant.start(test, {
      JWT_SECRET_KEY: TEST_SECRET,
      OPENAI_API_KEY: 'sk-local',
      OPENAI_BASE_URL: model.baseURL,
      OPENAI_MAX_RETRIES: '0',
      REQUEST_BODY_TIMEOUT_MS: '1500',
    }));
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await model?.stop();
    await test?.drop();
  });

  const chat = (mensaje: string, proyecto: string, token = accessToken(1)) =>
    fetch(`${base}/api/v1/chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ mensaje, usuario_id: 1, proyecto }),
    });

  // Guarded model-written SQL (dashboard_miempresa opts in): PostgreSQL's parser is a separate
  // module of the upload, imported by the isolate's first question to a project with guarded SQL
  // on; the query runs as the reader role under row-level security with a statement timeout, as
  // on Node. First in this block on purpose: no question before it may have loaded the parser.
  it('answers model-written SQL for its project only, loading the parser on first use, once', async () => {
    const loads = (output: string) => output.split('\n').filter((l) => l.includes('"msg":"sql parser loaded"')).length;
    // The isolate is up and has answered a question for a project without guarded SQL: no parser yet.
    const general = await fetch(`${base}/api/v1/chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken(1)}`, 'Content-Type': 'application/json', 'X-Request-Id': 'before-the-parser' },
      body: JSON.stringify({ mensaje: 'Explícame qué es una orden inbound', usuario_id: 1, proyecto: 'conocimiento_general' }),
    });
    expect(general.status).toBe(200);
    await waitFor(() => worker.output().split('\n').find((l) => l.includes('"request_id":"before-the-parser"') && l.includes('"msg":"request"')));
    const earlier = worker.output();
    expect(loads(earlier)).toBe(0);

    const sql = 'SELECT status, count(*)::int AS n FROM orders GROUP BY status ORDER BY status';
    model.script.push({ toolCalls: [{ name: 'run_sql', arguments: JSON.stringify({ sql }) }] }, { text: 'Resumen de los datos.' });
    const response = await chat(FREE_FORM, 'dashboard_miempresa');
    expect(response.status).toBe(200);
    const expected = await test.db.query(
      "SELECT status, count(*)::int AS n FROM orders WHERE project = 'dashboard_miempresa' GROUP BY status ORDER BY status",
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ fuente: 'database', consulta: 'run_sql', sql, datos: { rows: expected, truncated: false }, respuesta: 'Resumen de los datos.' });
    // The load is logged by the question that needed it, after everything above.
    await waitFor(() => (loads(worker.output().slice(earlier.length)) === 1 ? true : undefined));

    // Row-level security, not the query's text, picks the project: another project's rows do not exist.
    model.script.push(
      { toolCalls: [{ name: 'run_sql', arguments: JSON.stringify({ sql: "SELECT count(*)::int AS n FROM orders WHERE project = 'tienda_norte'" }) }] },
      { text: 'Hecho.' },
    );
    expect(await (await chat(FREE_FORM, 'dashboard_miempresa')).json()).toMatchObject({ fuente: 'database', consulta: 'run_sql', datos: { rows: [{ n: 0 }] } });
    expect(await test.db.query("SELECT 1 FROM orders WHERE project = 'tienda_norte' LIMIT 1")).toHaveLength(1);

    // Refused by the parser, never run: a write, and a table outside the allow-list.
    const orders = async () => JSON.stringify(await test.db.query('SELECT project, count(*)::int AS n, sum(amount)::text AS total FROM orders GROUP BY project ORDER BY project'));
    const before = await orders();
    for (const refused of ['DELETE FROM orders', 'SELECT * FROM chat_api.projects']) {
      model.script.push({ toolCalls: [{ name: 'run_sql', arguments: JSON.stringify({ sql: refused }) }] });
      const body = (await (await chat(FREE_FORM, 'dashboard_miempresa')).json()) as { fuente: string; respuesta: string; sql?: string; datos?: unknown };
      expect(body.fuente).toBe('openai');
      expect(body.respuesta).toMatch(/^No puedo responder esa pregunta de forma segura: .+\.$/s);
      expect(body.sql).toBeUndefined();
      expect(body.datos).toBeUndefined();
    }
    expect(await orders()).toBe(before);
    expect(loads(worker.output())).toBe(1); // once per isolate
  });

  it('answers the seed question with the right count', async () => {
    const response = await chat('¿Cuántas órdenes pendientes hay?', 'dashboard_miempresa');
    expect(response.status).toBe(200);
    const [row] = await test.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE project = 'dashboard_miempresa' AND status = 'pending'",
    );
    expect(await response.json()).toMatchObject({
      fuente: 'database',
      consulta: 'aggregate',
      datos: { count: row!.n },
      respuesta: `Hay ${row!.n} órdenes pendientes.`,
    });
  });

  it('builds the app once per isolate: its project cache serves the next request (two requests, one lookup)', async () => {
    const slug = `cache_proof_${Date.now()}`;
    await test.db.query(
      `INSERT INTO chat_api.projects (slug, display_name, system_prompt, open_to_all, allowed_user_ids) VALUES ($1, 'Cache proof', '', true, '{}')`,
      [slug],
    );
    const asked = async (requestId: string) => {
      const response = await fetch(`${base}/api/v1/chat`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${accessToken(1)}`, 'Content-Type': 'application/json', 'X-Request-Id': requestId },
        body: JSON.stringify({ mensaje: '¿Cuántas órdenes hay?', usuario_id: 1, proyecto: slug }),
      });
      expect(response.status).toBe(200);
      // The request's log line (workerd prints the Worker's console) says how the project was found.
      const line = await waitFor(() => worker.output().split('\n').find((l) => l.includes(`"request_id":"${requestId}"`) && l.includes('"msg":"request"')));
      return (JSON.parse(line.slice(line.indexOf('{'))) as { project_cache?: string }).project_cache;
    };
    const id = slug.replaceAll('_', '-');
    expect(await asked(`${id}-1`)).toBe('miss');
    expect(await asked(`${id}-2`)).toBe('hit');
  });

  it("answers from a project's semantic model over the user's own tables, for its tenant only", async () => {
    for (const [question, estado] of [['¿Cuántos pedidos pendientes hay?', 'P'], ['How many shipped orders?', 'E']] as const) {
      const response = await chat(question, 'ventas_norte');
      expect(response.status).toBe(200);
      const [row] = await test.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ventas_pedido WHERE empresa_id = 1 AND estado = $1', [estado]);
      expect(await response.json()).toMatchObject({ fuente: 'database', consulta: 'aggregate', datos: { count: row!.n } });
    }
  });

  it('keeps answering concurrent requests (one connection per request)', async () => {
    const responses = await Promise.all(
      ['dashboard_miempresa', 'tienda_norte', 'logistica_sur', 'dashboard_miempresa'].map((p) => chat('¿Cuántas órdenes hay?', p)),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('answers a general question through the local OpenAI-compatible server', async () => {
    const response = await chat('Explícame qué es una orden inbound', 'conocimiento_general');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ fuente: 'openai', respuesta: 'Respuesta del modelo a: Explícame qué es una orden inbound' });
  });

  it('streams a model answer as server-sent events, and keeps the conversation', async () => {
    const response = await fetch(`${base}/api/v1/chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken(1)}`, 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ mensaje: 'Explícame qué es una orden inbound', usuario_id: 1, proyecto: 'conocimiento_general' }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = [...(await response.text()).matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({ event: m[1], data: m[2]! }));
    expect(events.at(-1)?.event, JSON.stringify(events.at(-1))).toBe('answer');
    expect(events.filter((e) => e.event === 'delta').length).toBeGreaterThan(1);
    const answer = JSON.parse(events.at(-1)!.data) as { conversacion_id: string; respuesta: string };
    const stored = await fetch(`${base}/api/v1/conversaciones/${answer.conversacion_id}`, { headers: { Authorization: `Bearer ${accessToken(1)}` } });
    expect(((await stored.json()) as { mensajes: { contenido: string }[] }).mensajes.map((m) => m.contenido)).toEqual([
      'Explícame qué es una orden inbound',
      answer.respuesta,
    ]);
  });

  it('refuses a bad token with a 401 problem', async () => {
    const response = await chat('¿Cuántas órdenes pendientes hay?', 'dashboard_miempresa', accessToken(1, {}, { secret: 'not-the-secret' }));
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    expect((await fetch(`${base}/api/v1/openapi.json`)).status).toBe(200);
    expect((await fetch(`${base}/docs`)).status).toBe(200);
  });

  it('keeps answering on a keep-alive connection after refusing requests whose bodies it never read', async () => {
    // A 401 comes before the body is read; a body left locked but undrained made workerd hold the
    // connection, and the next request on it hung (about one in three).
    for (let i = 0; i < 10; i++) {
      const refused = await chat('x'.repeat(2_000), 'dashboard_miempresa', 'eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln');
      expect(refused.status).toBe(401);
      await refused.body?.cancel();
      const next = await fetch(`${base}/api/v1/openapi.json`);
      expect(next.status).toBe(200);
      await next.body?.cancel();
    }
  });

  it('answers 408 request-timeout to a body that trickles in past REQUEST_BODY_TIMEOUT_MS', async () => {
    const body = JSON.stringify({ mensaje: '¿Cuántas órdenes pendientes hay?', usuario_id: '1', proyecto: 'dashboard_miempresa' });
    const { port } = new URL(base);
    const head = ['POST /api/v1/chat HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Content-Type: application/json', `Authorization: Bearer ${accessToken(1)}`,
      `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n');
    try {
      const exchange = await slowRequest(Number(port), head, body, { first: 5, trickleMs: 200 });
      expect(exchange.status).toBe(408);
      expect(exchange.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(exchange.body)).toMatchObject({ type: 'urn:chat-api:problem:request-timeout', status: 408 });
      expect(exchange.unsent).toBeGreaterThan(0); // answered while the client was still sending
    } finally {
      hangUpAll();
    }
  });

  // Last: it spends this address's quota of requests without a valid token.
  it('limits requests without a valid token per address (CF-Connecting-IP) through the RATE_LIMITER_ADDRESS binding', async () => {
    const bad = accessToken(1, {}, { secret: 'not-the-secret' });
    // The binding counts per fixed wall-clock minute (Miniflare: Date.now() / 60 s) and forgets at
    // its end: start with at least 20 s of the minute left, so the 121st request falls in it.
    await waitFor(() => (60_000 - (Date.now() % 60_000) >= 20_000 ? true : undefined), 45_000);
    let refused: Response | undefined;
    // wrangler.toml's binding allows 120 a minute, like RATE_LIMIT_ADDRESS_PER_MINUTE's default
    for (let i = 0; i < 130 && !refused; i++) {
      const response = await fetch(`${base}/api/v1/proyectos`, { headers: { Authorization: `Bearer ${bad}` } });
      if (response.status === 429) refused = response;
      else expect(response.status).toBe(401);
      await response.body?.cancel();
    }
    expect(refused?.headers.get('content-type')).toBe('application/problem+json');
    expect(refused?.headers.get('ratelimit-policy')).toBe('"address";q=120;w=60');
    expect(refused?.headers.get('retry-after')).toMatch(/^\d+$/);
    const valid = await fetch(`${base}/api/v1/proyectos`, { headers: { Authorization: `Bearer ${accessToken(1)}` } });
    expect(valid.status).toBe(200);
  }, 90_000);
});
