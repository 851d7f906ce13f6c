import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { cleanEnv, startProcess, type Started } from './support/processes.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { accessToken, TEST_SECRET } from './support/tokens.js';
import { waitFor } from './support/wait.js';

/**
 * Issue 16's durability promise with group commit on, and issue 14's "no half-written turns":
 * a real Node server under concurrent load (new conversations and follow-ups) is killed with
 * SIGKILL right as a client receives an answer. The database is a few milliseconds away (a
 * proxy delays its replies), so an answer sent before its write commits would be lost with the
 * process. Every answer a client received with 200 must be stored with its question; a restarted
 * service leaves no question without an outcome.
 */
const READY = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
const CLIENTS = 12;
const KILL_AFTER = 150;
const SEED = '¿Cuántas órdenes pendientes hay?';
const FOLLOW_UP = '¿y las enviadas?';
const TIMED_OUT = 'urn:chat-api:problem:request-timeout';

type Answer = { respuesta: string; conversacion_id: string };

describe.skipIf(process.platform !== 'linux')('killed mid-load: every 200 answer is stored, and nothing is left half-written', () => {
  let test: TestDatabase;
  let server: Started | undefined;
  let proxy: TcpProxy;
  let databaseUrl: string;
  beforeAll(async () => {
    test = await createSeededDatabase('postgres');
    const target = new URL(test.url!);
    proxy = await new TcpProxy({ host: target.hostname, port: Number(target.port) }).start();
    proxy.replyDelayMs = 10;
    target.port = String(proxy.port);
    databaseUrl = target.toString();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await proxy?.stop();
    await test?.drop();
  });

  const start = (requestTimeoutMs: number) =>
    startProcess('node', ['--import', 'tsx', 'src/entry/node.ts'], {
      env: cleanEnv({
        DATABASE_URL: databaseUrl,
        JWT_SECRET_KEY: TEST_SECRET,
        PORT: '0',
        REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
        RATE_LIMIT_USER_PER_MINUTE: '0',
        RATE_LIMIT_PROJECT_PER_MINUTE: '0',
        RATE_LIMIT_USER_READ_PER_MINUTE: '0',
        RATE_LIMIT_ADDRESS_PER_MINUTE: '0',
      }),
      ready: READY,
    });

  it('finds every answered turn stored after a SIGKILL, and a restarted service gives every question an outcome', async () => {
    server = await start(10_000);
    const base = READY.exec(server.output())![1]!;
    const headers = { Authorization: `Bearer ${accessToken(1)}`, 'Content-Type': 'application/json' };
    const answered: Answer[] = [];
    let killed = false;

    // Each client asks a new question, then (every fifth turn) follows it up in the same conversation.
    const client = async (n: number) => {
      for (let turn = 0; !killed; turn++) {
        const conversation = turn % 5 === 4 ? answered.findLast((a) => a.respuesta.startsWith('Hay'))?.conversacion_id : undefined;
        const body = { mensaje: conversation ? FOLLOW_UP : SEED, usuario_id: '1', proyecto: 'dashboard_miempresa', ...(conversation ? { conversacion_id: conversation } : {}) };
        try {
          const response = await fetch(`${base}/api/v1/chat`, { method: 'POST', headers, body: JSON.stringify(body) });
          if (response.status === 200) answered.push((await response.json()) as Answer);
          else await response.arrayBuffer();
        } catch {
          return; // the server is gone
        }
        if (answered.length >= KILL_AFTER && !killed && n === 0) {
          killed = true;
          process.kill(-server!.child.pid!, 'SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    expect(killed).toBe(true);
    expect(answered.length).toBeGreaterThanOrEqual(KILL_AFTER);

    // Every 200 answer is stored, settled, after a question, in its conversation.
    const told = new Map<string, string[]>();
    for (const answer of answered) told.set(answer.conversacion_id, [...(told.get(answer.conversacion_id) ?? []), answer.respuesta]);
    for (const [conversation, answers] of told) {
      const rows = await test.db.query<{ role: string; content: string; pending: boolean; error: string | null }>(
        'SELECT role, content, pending, error FROM "chat_api".messages WHERE conversation_id = $1 ORDER BY id',
        [conversation],
      );
      const stored = rows.filter((row) => row.role === 'assistant' && !row.pending && row.error === null).map((row) => row.content);
      for (const respuesta of answers) {
        const at = stored.indexOf(respuesta);
        expect(at, `an answer of ${conversation} that the client got is not stored`).toBeGreaterThanOrEqual(0);
        stored.splice(at, 1);
      }
      expect(rows[0]?.role).toBe('user');
    }

    // A restarted service (deadline 1 s) sweeps what the killed one left unfinished.
    await server.stop();
    server = await start(1_000);
    const restarted = READY.exec(server.output())![1]!;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = await fetch(`${restarted}/api/v1/chat`, { method: 'POST', headers, body: JSON.stringify({ mensaje: SEED, usuario_id: '1', proyecto: 'dashboard_miempresa' }) });
    expect(after.status).toBe(200);
    await waitFor(async () => (await test.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "chat_api".messages WHERE pending`))[0]!.n === 0, {
      what: 'the sweep of unfinished turns',
    });
    const [counts] = await test.db.query<{ questions: number; outcomes: number; timed_out: number }>(
      `SELECT count(*) FILTER (WHERE role = 'user')::int AS questions, count(*) FILTER (WHERE role = 'assistant')::int AS outcomes,
              count(*) FILTER (WHERE error = $1)::int AS timed_out FROM "chat_api".messages`,
      [TIMED_OUT],
    );
    expect(counts!.outcomes).toBe(counts!.questions);
    console.info(`durability: ${answered.length} answers received before SIGKILL, all stored; ${counts!.timed_out} unfinished turns swept`);
  }, 120_000);
});
