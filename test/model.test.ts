import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ask, buildApp, question, type Settings } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';

type Problem = { type: string; status: number; detail: string; request_id: string };

const GENERAL = question('Explícame qué es una orden inbound', 'conocimiento_general');

describe('model path through the real openai SDK and a local OpenAI-compatible server', () => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  const appWith = (settings: Settings = {}) =>
    buildApp(test.db, { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0', ...settings });

  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
    model = await new FakeOpenAI().start();
  });
  afterEach(() => {
    model.mode = 'ok';
  });
  afterAll(async () => {
    await model?.stop();
    await test?.drop();
  });

  it('returns the model answer with fuente "openai" and the configured model name', async () => {
    const before = model.requests.length;
    const response = await ask(appWith({ OPENAI_MODEL: 'llama3.1:8b' }), GENERAL);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { respuesta: string; fuente: string; proyecto: string };
    expect(body.fuente).toBe('openai');
    expect(body.proyecto).toBe('conocimiento_general');
    expect(body.respuesta).toBe('Respuesta del modelo a: Explícame qué es una orden inbound');
    expect(model.requests[before]?.body.model).toBe('llama3.1:8b');
    expect(model.requests[before]?.body.messages?.[0]?.content).toMatch(/Answer in Spanish\.$/);
  });

  it('asks for English answers to English questions', async () => {
    const before = model.requests.length;
    const response = await ask(appWith(), question('Explain what an inbound order is', 'conocimiento_general'));
    expect(response.status).toBe(200);
    expect(model.requests[before]?.body.messages?.[0]?.content).toMatch(/Answer in English\.$/);
  });

  it.each([
    ['error500', 502, 'model-unavailable'],
    ['empty', 502, 'model-unavailable'],
    ['rate429', 503, 'model-rate-limited'],
  ] as const)('maps a model answering %s to %i', async (mode, status, code) => {
    model.mode = mode;
    const response = await ask(appWith(), GENERAL);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = (await response.json()) as Problem;
    expect(body.type).toBe(`urn:chat-api:problem:${code}`);
    expect(body.request_id).toBe(response.headers.get('x-request-id'));
    if (mode === 'rate429') expect(response.headers.get('retry-after')).toBe('7');
  });

  it('retries a failing model the configured number of times', async () => {
    model.mode = 'error500';
    const before = model.requests.length;
    const response = await ask(appWith({ OPENAI_MAX_RETRIES: '1' }), GENERAL);
    expect(response.status).toBe(502);
    expect(model.requests.length - before).toBe(2);
  });

  it('answers 504 when the model hangs past OPENAI_TIMEOUT_MS', async () => {
    model.mode = 'hang';
    const started = Date.now();
    const response = await ask(appWith({ OPENAI_TIMEOUT_MS: '300' }), GENERAL);
    expect(response.status).toBe(504);
    expect(((await response.json()) as Problem).type).toBe('urn:chat-api:problem:model-timeout');
    expect(Date.now() - started).toBeLessThan(10_000); // bounded, not a timing claim
  });

  it('without a key: 503 for model questions while database questions keep working', async () => {
    const app = buildApp(test.db, { OPENAI_BASE_URL: model.baseURL });
    const before = model.requests.length;
    const general = await ask(app, GENERAL);
    expect(general.status).toBe(503);
    const problem = (await general.json()) as Problem;
    expect(problem.type).toBe('urn:chat-api:problem:model-not-configured');
    expect(problem.detail).toMatch(/OPENAI_API_KEY/);

    const data = await ask(app, question('¿Cuántas órdenes pendientes hay?'));
    expect(data.status).toBe(200);
    expect(((await data.json()) as { fuente: string }).fuente).toBe('database');
    expect(model.requests.length).toBe(before);
  });

  it('answers 502 when nothing listens at OPENAI_BASE_URL', async () => {
    const response = await ask(buildApp(test.db, { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_MAX_RETRIES: '0' }), GENERAL);
    expect(response.status).toBe(502);
  });
});
