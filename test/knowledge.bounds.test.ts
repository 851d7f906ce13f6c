import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PASSAGE_BYTES } from '../src/services/knowledge/store.js';
import { ask, buildApp, question } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { accessToken } from './support/tokens.js';

type Cita = { documento: string; titulo: string; fragmento: string };
type DocumentsJson = { fuente: string; respuesta: string; citas: Cita[] };

const bytes = (text: string) => new TextEncoder().encode(text).length;
const PROJECT = 'conocimiento_general';
const QUESTION = '¿Qué es el cross-docking del almacén?';

/**
 * Document passages are bounded in bytes as the model gets them and as `citas` return them
 * (issue 14), whatever is stored: an upload with a Markdown heading of 28,000 characters (within
 * the 30,000-character document limit; it used to make the chunker loop until the process died)
 * and a passage written by something other than the upload (an older version, another tool) of
 * megabytes.
 */
describe.each(['postgres', 'embedded'] as const)('document passages bounded in bytes (%s)', (kind) => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  let withModel: ReturnType<typeof buildApp>;
  let withoutModel: ReturnType<typeof buildApp>;
  beforeAll(async () => {
    test = await createSeededDatabase(kind);
    model = await new FakeOpenAI().start();
    const settings = { DOCUMENT_ADMIN_USER_IDS: '7' };
    withModel = buildApp(test.db, { ...settings, OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0' });
    withoutModel = buildApp(test.db, settings, { model: null });
    const heading = `# ${'Almacén cross-docking ñandú '.repeat(1_000)}`.trim();
    const body = Array.from({ length: 6 }, (_, i) => `El cross-docking del almacén, párrafo ${i}: la mercancía pasa del muelle de entrada al de salida.`).join('\n\n');
    const uploaded = await withModel.request(`/api/v1/proyectos/${PROJECT}/documentos`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken(7)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ titulo: 'Manual de almacén', tipo: 'text/markdown', contenido: `${heading}\n\n${body}` }),
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    const { id } = (await uploaded.json()) as { id: string };
    // A passage of 3 MB, as no upload could make it. Indexing it for full-text search takes seconds
    // on a busy machine: longer than the pool's statement timeout, which is not what this tests.
    await test.db.transaction!(async (tx) => {
      await tx.query("SET LOCAL statement_timeout = '120s'");
      await tx.query(
        `INSERT INTO chat_api.document_chunks (document_id, project, position, content) VALUES ($1, $2, 1000, repeat('almacén cross-docking ', 150000))`,
        [id, PROJECT],
      );
    });
  });
  afterAll(async () => {
    await model?.stop();
    await test?.drop();
  });

  it('returns passages of at most MAX_PASSAGE_BYTES as the answer and its citas when there is no model', async () => {
    const response = await ask(withoutModel, question(QUESTION, PROJECT));
    expect(response.status).toBe(200);
    const text = await response.text();
    const answer = JSON.parse(text) as DocumentsJson;
    expect(answer.fuente).toBe('documentos');
    expect(answer.citas.length).toBeGreaterThanOrEqual(2);
    for (const cita of answer.citas) expect(bytes(cita.fragmento)).toBeLessThanOrEqual(MAX_PASSAGE_BYTES);
    // The passage of 3 MB is among them, cut.
    expect(answer.citas.filter((cita) => /^almacén cross-docking .*…$/s.test(cita.fragmento))).toHaveLength(1);
    expect(bytes(text)).toBeLessThan(2 * 4 * (MAX_PASSAGE_BYTES + 1024));
  });

  it('sends the model at most MAX_PASSAGE_BYTES of each passage and cites them as sent', async () => {
    model.script.push({ text: 'El cross-docking pasa la mercancía de un muelle a otro [1] [2].' });
    const before = model.requests.length;
    const response = await ask(withModel, question(QUESTION, PROJECT));
    expect(response.status).toBe(200);
    const answer = (await response.json()) as DocumentsJson;
    expect(answer.fuente).toBe('documentos');
    expect(answer.citas).toHaveLength(2);
    for (const cita of answer.citas) expect(bytes(cita.fragmento)).toBeLessThanOrEqual(MAX_PASSAGE_BYTES);
    const system = model.requests[before]!.body.messages?.[0]?.content ?? '';
    expect(system).toMatch(/<passages>.*\n(almacén cross-docking )+[^\n]*…\n/s);
    expect(bytes(system)).toBeLessThan(4 * (MAX_PASSAGE_BYTES + 1024) + 4096);
  });
});
