import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/adapters/db/database.js';
import { ask, buildApp, question } from './support/app.js';
import { createSeededDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { accessClaims, accessToken, signToken } from './support/tokens.js';

type ChatJson = { respuesta: string; fuente: string; consulta?: string; datos?: { count?: number }; conversacion_id: string };
type Conversation = { conversacion_id: string; proyecto: string; mensajes: { rol: string; contenido: string; fuente?: string; error?: string }[] };

describe.each(DATABASE_KINDS)('conversation memory on the %s PostgreSQL', (kind) => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  let app: ReturnType<typeof buildApp>;
  beforeAll(async () => {
    test = await createSeededDatabase(kind);
    model = await new FakeOpenAI().start();
    app = buildApp(test.db, { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0', MODEL_BREAKER_FAILURES: '0' });
  });
  afterEach(() => {
    model.mode = 'ok';
  });
  afterAll(async () => {
    await model?.stop();
    await test?.drop();
  });

  const chat = async (mensaje: string, extra: Record<string, unknown> = {}, proyecto = 'dashboard_miempresa') => {
    const response = await ask(app, { ...question(mensaje, proyecto), ...extra });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as ChatJson;
  };
  const read = (id: string, token = accessToken(1)) =>
    app.request(`/api/v1/conversaciones/${id}`, { headers: { Authorization: `Bearer ${token}` } });
  const count = async (status: string) =>
    (await test.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE project = 'dashboard_miempresa' AND status = $1`, [status]))[0]!.n;

  it('answers a follow-up from the previous turn: "¿y las enviadas?"', async () => {
    const first = await chat('¿Cuántas órdenes pendientes hay?');
    const followUp = await chat('¿y las enviadas?', { conversacion_id: first.conversacion_id });
    expect(followUp.conversacion_id).toBe(first.conversacion_id);
    expect(followUp).toMatchObject({ fuente: 'database', consulta: 'aggregate', datos: { count: await count('shipped') } });

    const stored = (await (await read(first.conversacion_id)).json()) as Conversation;
    expect(stored.proyecto).toBe('dashboard_miempresa');
    expect(stored.mensajes.map((m) => [m.rol, m.contenido])).toEqual([
      ['user', '¿Cuántas órdenes pendientes hay?'],
      ['assistant', first.respuesta],
      ['user', '¿y las enviadas?'],
      ['assistant', followUp.respuesta],
    ]);
  });

  it('stores each turn once even when the driver runs a write twice (a retry after a lost link)', async () => {
    // The pool retries a statement whose link died when it cannot tell whether the server ran it
    // (src/adapters/db/pg-pool.ts): here every write runs twice, as such a retry would.
    let repeated = 0;
    const twice: Database = {
      query: async (sql, params) => {
        const rows = await test.db.query(sql, params);
        if (/INSERT INTO "chat_api"\.(messages|conversations)/.test(sql)) {
          repeated++;
          await test.db.query(sql, params);
        }
        return rows as never;
      },
      exec: (script) => test.db.exec(script),
      close: async () => {},
    };
    const retrying = buildApp(twice, { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0' });
    const first = (await (await ask(retrying, question('¿Cuántas órdenes pendientes hay?'))).json()) as ChatJson;
    const next = (await (await ask(retrying, { ...question('¿y las enviadas?'), conversacion_id: first.conversacion_id })).json()) as ChatJson;
    model.mode = 'error500';
    expect((await ask(retrying, { ...question('Explícame qué es una orden inbound'), conversacion_id: first.conversacion_id })).status).toBe(502);
    const stored = (await (await read(first.conversacion_id)).json()) as Conversation;
    expect(stored.mensajes.map((m) => [m.rol, m.contenido, m.error])).toEqual([
      ['user', '¿Cuántas órdenes pendientes hay?', undefined],
      ['assistant', first.respuesta, undefined],
      ['user', '¿y las enviadas?', undefined],
      ['assistant', next.respuesta, undefined],
      ['user', 'Explícame qué es una orden inbound', undefined],
      ['assistant', '', 'urn:chat-api:problem:model-unavailable'],
    ]);
    expect(repeated).toBe(6); // every write of the six turns ran twice
  });

  it('starts a new conversation when none is given, and a follow-up alone goes to the model', async () => {
    const alone = await chat('¿y las enviadas?');
    expect(alone.fuente).toBe('openai');
  });

  it('sends the earlier turns to the model', async () => {
    const first = await chat('Explícame qué es una orden inbound', {}, 'conocimiento_general');
    const before = model.requests.length;
    await chat('¿Y una outbound?', { conversacion_id: first.conversacion_id }, 'conocimiento_general');
    const messages = model.requests[before]!.body.messages!.map((m) => [m.role, m.content]);
    expect(messages.slice(1)).toEqual([
      ['user', 'Explícame qué es una orden inbound'],
      ['assistant', first.respuesta],
      ['user', '¿Y una outbound?'],
    ]);
  });

  it('keeps the question and records the failure when the model fails mid-answer', async () => {
    const first = await chat('Explícame qué es una orden inbound', {}, 'conocimiento_general');
    model.mode = 'error500';
    const failed = await ask(app, { ...question('¿Y una outbound?', 'conocimiento_general'), conversacion_id: first.conversacion_id });
    expect(failed.status).toBe(502);
    const stored = (await (await read(first.conversacion_id)).json()) as Conversation;
    expect(stored.mensajes.at(-2)).toMatchObject({ rol: 'user', contenido: '¿Y una outbound?' });
    expect(stored.mensajes.at(-1)).toMatchObject({ rol: 'assistant', error: 'urn:chat-api:problem:model-unavailable' });
  });

  // Each case asks as its own user, so that user's conversation list holds exactly this one.
  it.each([
    ['the model fails', '7', 502, 'urn:chat-api:problem:model-unavailable'],
    ['no model is configured', '8', 503, 'urn:chat-api:problem:model-not-configured'],
  ])("stores a new conversation's first question and its failure when %s", async (_case, user, status, problemType) => {
    const mensaje = 'Explícame qué es el cross-docking';
    const token = accessToken(user);
    const target = problemType.endsWith('model-not-configured') ? buildApp(test.db, {}, { model: null }) : app;
    model.mode = 'error500';
    const failed = await ask(target, question(mensaje, 'conocimiento_general', user), { token });
    expect(failed.status).toBe(status);
    expect(((await failed.json()) as { type: string }).type).toBe(problemType);

    // The failed answer carries no conversacion_id: the conversation is found through the list.
    const listed = await app.request('/api/v1/conversaciones', { headers: { Authorization: `Bearer ${token}` } });
    const list = (await listed.json()) as { conversacion_id: string; proyecto: string; titulo: string }[];
    expect(list).toEqual([{ conversacion_id: expect.stringMatching(/^[0-9a-f-]{36}$/), proyecto: 'conocimiento_general', titulo: mensaje, actualizado: expect.any(String) }]);
    const stored = (await (await read(list[0]!.conversacion_id, token)).json()) as Conversation;
    expect(stored.mensajes).toEqual([
      { rol: 'user', contenido: mensaje, creado: expect.any(String) },
      { rol: 'assistant', contenido: '', error: problemType, creado: expect.any(String) },
    ]);
  });

  it("keeps other users out: 403 to read or continue someone else's conversation, 404 for an unknown one", async () => {
    const mine = await chat('¿Cuántas órdenes pendientes hay?');
    expect((await read(mine.conversacion_id, accessToken(2))).status).toBe(403);
    const hijack = await ask(app, { ...question('¿y las enviadas?', 'dashboard_miempresa', '2'), conversacion_id: mine.conversacion_id }, { token: accessToken(2) });
    expect(hijack.status).toBe(403);
    expect((await read(crypto.randomUUID())).status).toBe(404);
    expect((await read('not-a-uuid')).status).toBe(400);
  });

  it('refuses to continue a conversation in another project', async () => {
    const mine = await chat('¿Cuántas órdenes pendientes hay?');
    const response = await ask(app, { ...question('¿y las enviadas?', 'tienda_norte'), conversacion_id: mine.conversacion_id });
    expect(response.status).toBe(400);
  });

  // Issue 14: an answer stored before the byte caps (or by another writer) can be many megabytes.
  const insertHuge = async (conversation: string, role: 'user' | 'assistant', contentBytes: number, datosBytes = 0) =>
    test.db.query(
      `INSERT INTO "chat_api".messages (conversation_id, role, content, fuente, datos)
       VALUES ($1, $2, repeat('x', $3), 'database', CASE WHEN $4 > 0 THEN jsonb_build_object('rows', jsonb_build_array(jsonb_build_object('s', repeat('y', $4)))) END)`,
      [conversation, role, contentBytes, datosBytes],
    );
  const utf8 = new TextEncoder();
  type Page = { siguiente: string | null; mensajes: (Conversation['mensajes'][number] & { datos?: unknown })[] };

  it('reads an oversized stored answer in bounded pages, following siguiente to the end', async () => {
    const first = await chat('¿Cuántas órdenes pendientes hay?');
    await insertHuge(first.conversacion_id, 'assistant', 3_000_000, 5_000_000);
    for (let i = 0; i < 6; i++) await insertHuge(first.conversacion_id, i % 2 ? 'assistant' : 'user', 400_000);
    const pages: Page[] = [];
    let after: string | null = '';
    while (after !== null && pages.length < 20) {
      const response = await app.request(`/api/v1/conversaciones/${first.conversacion_id}?limite=50${after ? `&despues=${after}` : ''}`, {
        headers: { Authorization: `Bearer ${accessToken(1)}` },
      });
      expect(response.status).toBe(200);
      const text = await response.text();
      // CONVERSATION_PAGE_MAX_BYTES + 2 × ANSWER_MAX_BYTES + 64 kB, at their defaults.
      expect(utf8.encode(text).length).toBeLessThanOrEqual(2_097_152 + 2 * 524_288 + 65_536);
      const page = JSON.parse(text) as Page;
      pages.push(page);
      after = page.siguiente;
    }
    expect(pages.length).toBeGreaterThan(1);
    const messages = pages.flatMap((page) => page.mensajes);
    expect(messages).toHaveLength(2 + 1 + 6);
    expect(messages[0]!.contenido).toBe('¿Cuántas órdenes pendientes hay?');
    const huge = messages[2]!;
    expect(utf8.encode(huge.contenido).length).toBeLessThanOrEqual(524_288);
    expect(huge.contenido.replace(/x/g, '')).toBe('…');
    expect(huge.datos).toEqual({ truncated: true, truncated_by: ['ANSWER_MAX_BYTES'] });

    const small = (await (await app.request(`/api/v1/conversaciones/${first.conversacion_id}?limite=1`, {
      headers: { Authorization: `Bearer ${accessToken(1)}` },
    })).json()) as Page;
    expect(small.mensajes).toHaveLength(1);
    expect(small.siguiente).toMatch(/^\d+$/);
    for (const bad of ['limite=0', 'limite=201', 'despues=abc']) {
      expect((await app.request(`/api/v1/conversaciones/${first.conversacion_id}?${bad}`, { headers: { Authorization: `Bearer ${accessToken(1)}` } })).status).toBe(400);
    }
  });

  it('sends at most CONVERSATION_HISTORY_MAX_BYTES of earlier turns to the model, newest first', async () => {
    const first = await chat('Explícame qué es una orden inbound', {}, 'conocimiento_general');
    await insertHuge(first.conversacion_id, 'user', 2_000_000);
    await insertHuge(first.conversacion_id, 'assistant', 1_000_000);
    const before = model.requests.length;
    await chat('¿Y una outbound?', { conversacion_id: first.conversacion_id }, 'conocimiento_general');
    const messages = model.requests[before]!.body.messages!;
    const history = messages.slice(1, -1).map((m) => String(m.content));
    expect(history.reduce((sum, content) => sum + utf8.encode(content).length, 0)).toBeLessThanOrEqual(32_768);
    expect(history.at(-1)!.replace(/x/g, '')).toBe('…'); // the newest turn, cut
    expect(messages.at(-1)!.content).toBe('¿Y una outbound?');
  });

  it('sends and stores at most ANSWER_MAX_BYTES of an answer: the client is told what the conversation keeps', async () => {
    const capped = buildApp(test.db, { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0', ANSWER_MAX_BYTES: '4096' });
    model.script.push({ text: 'ñ'.repeat(20_000) });
    const response = await ask(capped, question('Explícame qué es una orden inbound', 'conocimiento_general'));
    const { conversacion_id: id, respuesta } = (await response.json()) as ChatJson & { respuesta: string };
    const stored = (await (await read(id)).json()) as Conversation;
    const answer = stored.mensajes[1]!.contenido;
    expect(utf8.encode(answer).length).toBeLessThanOrEqual(4096);
    expect(answer).toMatch(/^ñ+…$/);
    expect(respuesta).toBe(answer);
  });

  it('deletes conversations idle for longer than CONVERSATION_RETENTION_DAYS', async () => {
    const old = await chat('¿Cuántas órdenes pendientes hay?');
    const later = new Date(Date.now() + 3 * 86_400_000);
    const future = buildApp(test.db, { CONVERSATION_RETENTION_DAYS: '2' }, { now: () => later });
    const token = signToken(accessClaims(1, {}, later.getTime()));
    expect((await ask(future, question('¿Cuántas órdenes hay?'), { token })).status).toBe(200); // triggers the purge
    expect((await read(old.conversacion_id)).status).toBe(404);
  });
});
