import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, question } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { accessToken } from './support/tokens.js';

type Event = { event: string; data: string };

/** Reads server-sent events with a real HTTP client until the stream ends (or `stopAfter` says so). */
async function readEvents(response: Response, stopAfter?: (events: Event[]) => boolean): Promise<Event[]> {
  const events: Event[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = [...block.matchAll(/^data: ?(.*)$/gm)].map((m) => m[1]).join('\n');
      events.push({ event, data });
    }
    if (stopAfter?.(events)) {
      await reader.cancel();
      break;
    }
  }
  return events;
}

describe('streaming answers over server-sent events (Accept: text/event-stream)', () => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  let server: ServerType;
  let base: string;
  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
    model = await new FakeOpenAI().start();
    const app = buildApp(test.db, { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0', MODEL_BREAKER_FAILURES: '0' });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
        base = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
  });
  afterEach(() => {
    model.mode = 'ok';
    model.chunkDelayMs = 0;
    model.script.length = 0;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await model?.stop();
    await test?.drop();
  });

  const post = (body: object, accept: string, signal?: AbortSignal) =>
    fetch(`${base}/api/v1/chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken(1)}`, 'Content-Type': 'application/json', Accept: accept },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  const withoutIds = (answer: Record<string, unknown>) => {
    const { request_id: _r, conversacion_id: _c, ...rest } = answer;
    return rest;
  };

  it('streams the model text as delta events, then one answer event equal to the non-streamed answer', async () => {
    const general = question('Explícame qué es una orden inbound', 'conocimiento_general');
    const response = await post(general, 'text/event-stream');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(response);
    const deltas = events.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(events.at(-1)?.event).toBe('answer');
    expect(events.slice(0, -1).every((e) => e.event === 'delta')).toBe(true);

    const streamed = JSON.parse(events.at(-1)!.data) as Record<string, unknown>;
    expect(deltas.map((e) => (JSON.parse(e.data) as { texto: string }).texto).join('')).toBe(streamed.respuesta);
    const plain = (await (await post(general, 'application/json')).json()) as Record<string, unknown>;
    expect(withoutIds(streamed)).toEqual(withoutIds(plain));
  });

  it('sends a catalogue answer as a single answer event', async () => {
    const seed = question('¿Cuántas órdenes pendientes hay?');
    const events = await readEvents(await post(seed, 'text/event-stream'));
    expect(events.map((e) => e.event)).toEqual(['answer']);
    const plain = (await (await post(seed, 'application/json')).json()) as Record<string, unknown>;
    expect(withoutIds(JSON.parse(events[0]!.data))).toEqual(withoutIds(plain));
  });

  it('ends with an error event carrying a problem when the model fails', async () => {
    model.mode = 'error500';
    const events = await readEvents(await post(question('Explícame qué es una orden inbound', 'conocimiento_general'), 'text/event-stream'));
    expect(events.map((e) => e.event)).toEqual(['error']);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ status: 502, type: 'urn:chat-api:problem:model-unavailable' });
  });

  it('still refuses bad requests with a plain problem before streaming', async () => {
    const response = await post({ mensaje: '', usuario_id: '1', proyecto: 'dashboard_miempresa' }, 'text/event-stream');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('sends deltas of at most ANSWER_MAX_BYTES in all, making up the (cut) answer event, however long the model goes on', async () => {
    const capped = buildApp(test.db, { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0', ANSWER_MAX_BYTES: '4096' });
    const cappedServer = await new Promise<{ server: ServerType; base: string }>((resolve) => {
      const server = serve({ fetch: capped.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
        resolve({ server, base: `http://127.0.0.1:${info.port}` }),
      );
    });
    try {
      // ~100 kB of words, then one word of 100 kB (a delta far larger than the whole budget).
      model.script.push({ text: `${Array.from({ length: 4_000 }, (_, i) => `palabra${i} ñandú 😀`).join(' ')} ${'é'.repeat(50_000)}` });
      const response = await fetch(`${cappedServer.base}/api/v1/chat`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${accessToken(1)}`, 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify(question('Explícame qué es una orden inbound', 'conocimiento_general')),
      });
      const events = await readEvents(response);
      expect(events.at(-1)?.event).toBe('answer');
      const streamed = events.filter((e) => e.event === 'delta').map((e) => (JSON.parse(e.data) as { texto: string }).texto).join('');
      expect(new TextEncoder().encode(streamed).length).toBeLessThanOrEqual(4096);
      expect(streamed).toMatch(/^palabra0 ñandú 😀 .*…$/su);
      expect(streamed).toBe((JSON.parse(events.at(-1)!.data) as { respuesta: string }).respuesta);
    } finally {
      await new Promise((r) => cappedServer.server.close(r));
    }
  });

  it('stops the model call when the client disconnects', async () => {
    model.chunkDelayMs = 100;
    model.script.push({ text: Array.from({ length: 60 }, (_, i) => `palabra${i}`).join(' ') });
    const abandonedBefore = model.abandoned;
    const client = new AbortController();
    const response = await post(question('Explícame qué es una orden inbound', 'conocimiento_general'), 'text/event-stream', client.signal);
    const events = await readEvents(response, (seen) => seen.some((e) => e.event === 'delta'));
    expect(events[0]?.event).toBe('delta');
    client.abort();
    for (let i = 0; i < 50 && model.abandoned === abandonedBefore; i++) await new Promise((r) => setTimeout(r, 50));
    expect(model.abandoned).toBe(abandonedBefore + 1); // the upstream stream was closed long before its 6 s
  });
});
