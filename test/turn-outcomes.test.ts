import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/adapters/db/database.js';
import { ask, buildApp, question } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { accessToken } from './support/tokens.js';
import { waitFor } from './support/wait.js';

/**
 * Issue 14, item 5 (no half-written turns) and issue 16, item 2 (group commit), on the real
 * PostgreSQL through the whole HTTP stack. A turn's stored outcome is what its client was told:
 * the answer, or the error the client got — also when the 504 goes out after the answer was
 * stored, when nothing could be stored (a hung link), and when a stream outlives the deadline.
 */
const TIMED_OUT = 'urn:chat-api:problem:request-timeout';
const DEADLINE_MS = 400;
const SEED = '¿Cuántas órdenes pendientes hay?';
type Message = { rol: string; contenido: string; error?: string };

/** The outcome statement (conversation-writes.ts): an answer or a failure. */
const isOutcomeWrite = (sql: string) => /INSERT INTO "chat_api"\.messages AS m/.test(sql);
const isQuestionWrite = (sql: string) => /jsonb_to_recordset/.test(sql) && /'user'/.test(sql);

describe('the turn records what the client was told (real PostgreSQL)', () => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  let user = 100;
  beforeAll(async () => {
    test = await createSeededDatabase('postgres');
    model = await new FakeOpenAI().start();
  });
  afterEach(() => {
    model.chunkDelayMs = 0;
  });
  afterAll(async () => {
    await model?.stop();
    await test?.drop();
  });

  /** The database as the service sees it, with the outcome statement slowed or hung on demand. */
  function database(outcome: 'late reply' | 'hang'): Database {
    return {
      query: async (sql, params) => {
        if (isOutcomeWrite(sql) && outcome === 'hang') return new Promise<never>(() => {});
        const rows = await test.db.query(sql, params);
        // Committed, but the reply arrives after the request deadline.
        if (isOutcomeWrite(sql) && outcome === 'late reply') await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS * 3));
        return rows as never;
      },
      exec: (script) => test.db.exec(script),
      close: async () => {},
    };
  }
  const settings = { REQUEST_TIMEOUT_MS: String(DEADLINE_MS), OPENAI_API_KEY: 'sk-local', OPENAI_MAX_RETRIES: '0' };
  const clean = () => buildApp(test.db, { ...settings, OPENAI_BASE_URL: model.baseURL });

  /** The only conversation of `userId`, read through the API. */
  async function onlyConversation(userId: string): Promise<Message[]> {
    const headers = { Authorization: `Bearer ${accessToken(userId)}` };
    const list = (await (await clean().request('/api/v1/conversaciones', { headers })).json()) as { conversacion_id: string }[];
    expect(list).toHaveLength(1);
    const page = (await (await clean().request(`/api/v1/conversaciones/${list[0]!.conversacion_id}`, { headers })).json()) as { mensajes: Message[] };
    return page.mensajes.map(({ rol, contenido, error }) => ({ rol, contenido, ...(error ? { error } : {}) }));
  }
  const pendingRows = async () => (await test.db.query<{ n: number }>('SELECT count(*)::int AS n FROM "chat_api".messages WHERE pending'))[0]!.n;

  it('a 504 sent after the answer was stored replaces it: the conversation says request-timeout', async () => {
    const id = String(++user);
    const app = buildApp(database('late reply'), { ...settings, OPENAI_BASE_URL: model.baseURL });
    const response = await ask(app, question(SEED, 'dashboard_miempresa', id), { token: accessToken(id) });
    expect(response.status).toBe(504);
    expect(((await response.json()) as { type: string }).type).toBe(TIMED_OUT);
    // The answer committed before the 504 went out; the failure the client got is written after it.
    await waitFor(async () => (await onlyConversation(id)).at(-1)?.error === TIMED_OUT, { what: 'the failure to replace the answer' });
    expect(await onlyConversation(id)).toEqual([
      { rol: 'user', contenido: SEED },
      { rol: 'assistant', contenido: '', error: TIMED_OUT },
    ]);
  });

  it('a turn whose outcome could not be written (a hung link) is recorded as request-timeout once its deadline has passed', async () => {
    const id = String(++user);
    const app = buildApp(database('hang'), { ...settings, OPENAI_BASE_URL: model.baseURL });
    const response = await ask(app, question(SEED, 'dashboard_miempresa', id), { token: accessToken(id) });
    expect(response.status).toBe(504);
    const [left] = await test.db.query<{ conversation_id: string }>(
      `SELECT m.conversation_id FROM "chat_api".messages m JOIN "chat_api".conversations c ON c.id = m.conversation_id WHERE c.user_id = $1 AND m.pending`,
      [id],
    );
    expect(left).toBeDefined(); // the question and its pending outcome, nothing else: what a killed process leaves
    // Read by a recovered service past the deadline: swept, in its place after the question.
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS));
    expect(await onlyConversation(id)).toEqual([
      { rol: 'user', contenido: SEED },
      { rol: 'assistant', contenido: '', error: TIMED_OUT },
    ]);
  });

  it('a recovered service sweeps every unfinished turn on its first question, read or not', async () => {
    const conversation = crypto.randomUUID();
    await test.db.query(`INSERT INTO "chat_api".conversations (id, user_id, project) VALUES ($1, 'abandoned', 'dashboard_miempresa')`, [conversation]);
    await test.db.query(
      `INSERT INTO "chat_api".messages (conversation_id, role, content, pending, created_at)
       VALUES ($1, 'user', '¿cuántas?', false, now() - interval '1 hour'), ($1, 'assistant', '', true, now() - interval '1 hour')`,
      [conversation],
    );
    expect(await pendingRows()).toBeGreaterThan(0);
    const recovered = clean(); // a new process: its first question runs the sweep
    expect((await ask(recovered, question(SEED))).status).toBe(200);
    await waitFor(async () => (await pendingRows()) === 0, { what: 'the sweep' });
    expect(await test.db.query('SELECT role, error FROM "chat_api".messages WHERE conversation_id = $1 ORDER BY id', [conversation])).toEqual([
      { role: 'user', error: null },
      { role: 'assistant', error: TIMED_OUT },
    ]);
  });

  it('a stream that outlives the deadline ends with request-timeout, and that is what the conversation keeps', async () => {
    const id = String(++user);
    model.chunkDelayMs = DEADLINE_MS; // each word of the model's answer takes the whole deadline
    const response = await ask(clean(), question('Explícame qué es una orden inbound', 'conocimiento_general', id), {
      token: accessToken(id),
      headers: { Accept: 'text/event-stream' },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    const events = [...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1]);
    expect(events.at(-1)).toBe('error');
    expect(events).not.toContain('answer');
    expect(text).toContain(TIMED_OUT);
    await waitFor(async () => (await onlyConversation(id)).at(-1)?.error === TIMED_OUT, { what: 'the failure to be stored' });
    expect(await onlyConversation(id)).toEqual([
      { rol: 'user', contenido: 'Explícame qué es una orden inbound' },
      { rol: 'assistant', contenido: '', error: TIMED_OUT },
    ]);
  });

  it('a follow-up asked while another question of its conversation is in flight refines the last answer there', async () => {
    const app = clean();
    const first = (await (await ask(app, question(SEED))).json()) as { conversacion_id: string };
    // Another question of this conversation, still being answered: its outcome is pending.
    await test.db.query(
      `INSERT INTO "chat_api".messages (conversation_id, role, content, pending) VALUES ($1, 'user', 'top 5 clientes', false), ($1, 'assistant', '', true)`,
      [first.conversacion_id],
    );
    const followUp = await ask(app, { ...question('¿y las enviadas?'), conversacion_id: first.conversacion_id });
    expect(followUp.status).toBe(200);
    expect(await followUp.json()).toMatchObject({ fuente: 'database', consulta: 'aggregate' });
  });

  it('concurrent questions share commits, and every turn is stored once, its answer right after its question', async () => {
    const batches: number[] = [];
    const counting: Database = {
      query: async (sql, params) => {
        if (isQuestionWrite(sql)) batches.push((JSON.parse(String(params![0])) as unknown[]).length);
        return test.db.query(sql, params) as never;
      },
      exec: (script) => test.db.exec(script),
      close: async () => {},
    };
    const app = buildApp(counting, { PROJECT_CACHE_TTL_MS: '60000' });
    expect((await ask(app, question(SEED))).status).toBe(200); // warms the project cache
    batches.length = 0;
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => (await (await ask(app, question(SEED, 'dashboard_miempresa', '1'))).json()) as { respuesta: string; conversacion_id: string }),
    );
    expect(batches.reduce((sum, n) => sum + n, 0)).toBe(20);
    expect(batches.length).toBeLessThan(20); // some questions shared a statement
    for (const answer of answers) {
      const rows = await test.db.query<{ role: string; content: string; pending: boolean }>(
        'SELECT role, content, pending FROM "chat_api".messages WHERE conversation_id = $1 ORDER BY id',
        [answer.conversacion_id],
      );
      expect(rows).toEqual([
        { role: 'user', content: SEED, pending: false },
        { role: 'assistant', content: answer.respuesta, pending: false },
      ]);
    }
  });
});
