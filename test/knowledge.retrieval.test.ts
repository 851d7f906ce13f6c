import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnswerCaches, createAnswerer } from '../src/services/chat/answer.js';
import { passagesAnswer } from '../src/services/knowledge/answer.js';
import type { ChatModel } from '../src/adapters/llm/model.js';
import { ModelNotConfigured } from '../src/services/errors.js';
import type { Project } from '../src/services/projects.js';
import { createKnowledgeStore, type KnowledgeStore } from '../src/services/knowledge/store.js';
import { createOpenAIEmbeddingModel } from '../src/adapters/llm/embeddings.js';
import { createOpenAIChatModel } from '../src/adapters/llm/openai.js';
import { createSeededDatabase, type DatabaseKind, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { serviceTables } from '../src/adapters/db/tables.js';

const PROJECT = 'conocimiento_general';
/** Another project whose documents use the same words (more of them): it must never leak. */
const OTHER = 'logistica_sur';

/** A small bilingual glossary: title → text. */
const GLOSSARY: Record<string, string> = {
  'Orden inbound':
    'Una orden inbound es la entrada de mercancía al almacén desde un proveedor: se recibe, se inspecciona y se ubica. ' +
    'An inbound order brings goods from a supplier into the warehouse: receiving, inspection and put-away.',
  'Orden outbound':
    'Una orden outbound es la salida de mercancía del almacén hacia un cliente: se empaca y se despacha. ' +
    'An outbound order ships goods out of the warehouse to a customer: packing and dispatch.',
  Devolución:
    'Una devolución es el retorno de un producto por parte del cliente, con reembolso o cambio. ' +
    'A return (RMA) is when a customer sends a product back for a refund or exchange.',
  Backorder:
    'Un backorder es un pedido que queda pendiente porque el artículo no tiene stock, hasta la reposición. ' +
    'A backorder is an order that cannot be fulfilled because the item is out of stock; it waits for replenishment.',
  Picking:
    'El picking es la recolección de los artículos en sus ubicaciones para preparar los pedidos. ' +
    'Picking means collecting items from their storage locations to prepare orders.',
  'Cross-docking':
    'El cross-docking traslada la mercancía del muelle de recepción al muelle de expedición sin almacenarla. ' +
    'Cross-docking moves goods from the receiving dock straight to the shipping dock without storage.',
  'SLA de entrega':
    'El SLA de entrega es el plazo comprometido con el cliente: entrega en 48 horas en la península. ' +
    'The delivery SLA is the promised delivery time: 48 hours on the mainland.',
  'Inventario cíclico':
    'El inventario cíclico cuenta una parte del almacén cada semana en lugar de un recuento anual completo. ' +
    'Cycle counting audits part of the inventory every week instead of a full yearly count.',
  'Lotes y caducidad':
    'La gestión de lotes registra la fecha de caducidad y sirve primero lo que caduca antes (FEFO). ' +
    'Batch tracking records the expiry date and ships first what expires first (FEFO).',
};

/** Question → the title whose passage must rank first (Spanish and English). */
const QUESTIONS: [string, string][] = [
  ['¿Qué es una orden inbound?', 'Orden inbound'],
  ['What is an inbound order?', 'Orden inbound'],
  ['¿Cómo se recibe la mercancía de un proveedor?', 'Orden inbound'],
  ['¿Qué es una orden outbound?', 'Orden outbound'],
  ['How does an outbound order work?', 'Orden outbound'],
  ['¿Cómo funciona una devolución?', 'Devolución'],
  ['How do I handle a customer return?', 'Devolución'],
  ['refund or exchange policy', 'Devolución'],
  ['¿Qué significa backorder?', 'Backorder'],
  ['What happens when an item is out of stock?', 'Backorder'],
  ['¿En qué consiste el picking?', 'Picking'],
  ['What does picking mean?', 'Picking'],
  ['¿Qué es la recolección de artículos?', 'Picking'],
  ['¿Qué es el cross-docking?', 'Cross-docking'],
  ['Explain cross-docking', 'Cross-docking'],
  ['goods moved from the receiving dock to the shipping dock', 'Cross-docking'],
  ['¿Cuál es el SLA de entrega?', 'SLA de entrega'],
  ['What is the delivery SLA?', 'SLA de entrega'],
  ['¿En cuántas horas llega la entrega?', 'SLA de entrega'],
  ['¿Cada cuánto se hace el inventario cíclico?', 'Inventario cíclico'],
  ['How does cycle counting work?', 'Inventario cíclico'],
  ['¿Cómo se gestionan los lotes y la caducidad?', 'Lotes y caducidad'],
  ['What is FEFO?', 'Lotes y caducidad'],
  ['How is the expiry date of a batch tracked?', 'Lotes y caducidad'],
];

const UNRELATED = ['¿Cuál es la capital de Francia?', 'Tell me a joke about cats'];

type Setup = { test: TestDatabase; store: KnowledgeStore; own: Map<string, string>; other: Set<string> };

async function load(store: KnowledgeStore): Promise<{ own: Map<string, string>; other: Set<string> }> {
  const own = new Map<string, string>();
  const other = new Set<string>();
  for (const [title, content] of Object.entries(GLOSSARY)) {
    own.set((await store.add(PROJECT, { title, mediaType: 'text/plain', content, createdBy: '1' })).id, title);
    // The other project's copy repeats every sentence: it would outrank ours if it could leak.
    const copy = `${content} ${content} Nota interna de Logística Sur.`;
    other.add((await store.add(OTHER, { title: `${title} (Sur)`, mediaType: 'text/markdown', content: copy, createdBy: '1' })).id);
  }
  return { own, other };
}

function retrievalSuite(kind: DatabaseKind, options: { vector: boolean }) {
  const fake = new FakeOpenAI();
  let setup: Setup;

  beforeAll(async () => {
    await fake.start();
    const test = await createSeededDatabase(kind);
    const embeddings = options.vector
      ? createOpenAIEmbeddingModel({ apiKey: 'test-key', baseURL: fake.baseURL, model: 'fake-embed', timeoutMs: 5_000, maxRetries: 0 })
      : null;
    // The fake's bag-of-words vectors are far less similar than a real model's: a lower bar.
    const store = createKnowledgeStore({ db: test.db, tables: serviceTables(), embeddings, minSimilarity: 0.1 });
    setup = { test, store, ...(await load(store)) };
  }, 120_000);

  afterAll(async () => {
    await setup?.test.drop();
    await fake.stop();
  });

  it(`searches by ${options.vector ? 'pgvector cosine' : 'full-text search'}`, async () => {
    expect(await setup.store.vectorSearch()).toBe(options.vector);
    const [first] = await setup.store.search(PROJECT, '¿Qué es el picking?');
    expect(first?.method).toBe(options.vector ? 'vector' : 'fts');
  });

  it.each(QUESTIONS)('%s → %s first, and only this project', async (question, title) => {
    const passages = await setup.store.search(PROJECT, question, { limit: 5 });
    expect(passages.length).toBeGreaterThan(0);
    expect(setup.own.get(passages[0]!.documentId)).toBe(title);
    expect(passages[0]!.title).toBe(title);
    for (const p of passages) {
      expect(setup.own.has(p.documentId)).toBe(true);
      expect(setup.other.has(p.documentId)).toBe(false);
      expect(p.content).not.toContain('Logística Sur');
    }
    // And the other project finds its own copy, never ours.
    const theirs = await setup.store.search(OTHER, question, { limit: 5 });
    expect(theirs[0]?.title).toBe(`${title} (Sur)`);
    for (const p of theirs) expect(setup.other.has(p.documentId)).toBe(true);
  });

  it('finds nothing in a project without documents, and nothing for stop words only', async () => {
    expect(await setup.store.search('tienda_norte', '¿Qué es el picking?')).toEqual([]);
    expect(await setup.store.hasDocuments('tienda_norte')).toBe(false);
    expect(await setup.store.search(PROJECT, 'the of de la que')).toEqual([]);
    expect(await setup.store.search(PROJECT, '   ')).toEqual([]);
  });

  if (!options.vector) {
    it.each(UNRELATED)('finds nothing for an unrelated question: %s', async (question) => {
      expect(await setup.store.search(PROJECT, question)).toEqual([]);
    });
  }

  it('lists and deletes documents per project only', async () => {
    const listed = await setup.store.list(PROJECT);
    expect(listed).toHaveLength(Object.keys(GLOSSARY).length);
    expect(listed.every((d) => setup.own.has(d.id) && d.passages === 1 && d.mediaType === 'text/plain')).toBe(true);
    const [otherId] = setup.other;
    expect(await setup.store.remove(PROJECT, otherId!)).toBe(false); // another project's document
    const extra = await setup.store.add(PROJECT, { title: 'Temporal', mediaType: 'text/plain', content: 'Documento zanahoria temporal.', createdBy: '7' });
    expect((await setup.store.search(PROJECT, 'zanahoria'))[0]?.documentId).toBe(extra.id);
    expect(await setup.store.remove(PROJECT, extra.id)).toBe(true);
    expect(await setup.store.search(PROJECT, 'zanahoria')).toEqual([]);
    const [{ n }] = (await setup.test.db.query<{ n: number }>('SELECT count(*)::int AS n FROM chat_api.document_chunks WHERE document_id = $1', [extra.id])) as [{ n: number }];
    expect(n).toBe(0);
  });

  it('answers from the passages with a model, citing them, and without one returns them', async () => {
    const model = createOpenAIChatModel({ apiKey: 'test-key', baseURL: fake.baseURL, model: 'fake-chat', timeoutMs: 5_000, maxRetries: 0 });
    fake.script.push({ text: 'Es el retorno de un producto con reembolso [1].' });
    // A project without catalogue queries: its questions go to the documents step.
    const project: Project = { slug: PROJECT, displayName: PROJECT, systemPrompt: 'Eres un experto en logística.', openToAll: true, allowedUserIds: [], guardedSql: false, semantic: null };
    const answerFromDocuments = (withModel: ChatModel | null, question: { text: string; project: Project }) =>
      createAnswerer({ db: setup.test.db, model: withModel, now: () => new Date(), timeZone: 'UTC', caches: createAnswerCaches({ resultCacheTtlMs: 0 }), knowledge: setup.store })(question);
    const answer = await answerFromDocuments(model, { text: '¿Cómo funciona una devolución?', project });
    if (answer.fuente !== 'documentos') throw new Error(`expected a documents answer, got ${answer.fuente}`);
    expect(answer?.fuente).toBe('documentos');
    expect(answer?.respuesta).toContain('[1]');
    expect(answer?.citas).toHaveLength(1);
    expect(answer?.citas[0]?.titulo).toBe('Devolución');
    const system = fake.requests.at(-1)?.body.messages?.[0]?.content ?? '';
    expect(system).toContain('Eres un experto en logística.');
    expect(system).toMatch(/\[1\] Devolución\n/);
    expect(system).not.toContain('Logística Sur');

    const withoutModel = await answerFromDocuments(null, { text: 'What is FEFO?', project });
    if (withoutModel.fuente !== 'documentos') throw new Error(`expected a documents answer, got ${withoutModel.fuente}`);
    expect(withoutModel?.fuente).toBe('documentos');
    expect(withoutModel?.respuesta).toMatch(/^This is what the project's documents say:\n\n\[1\] Lotes y caducidad: /);
    expect(withoutModel?.citas[0]?.titulo).toBe('Lotes y caducidad');
    // No passages in a project without documents, and no model to fall back on.
    await expect(answerFromDocuments(null, { text: 'picking', project: { ...project, slug: 'tienda_norte' } })).rejects.toBeInstanceOf(ModelNotConfigured);
    expect(passagesAnswer([], 'es').citas).toEqual([]);
  });

  if (options.vector) {
    it('falls back to full-text search when the embedding provider fails', async () => {
      fake.embeddingsFail = true;
      try {
        const [first] = await setup.store.search(PROJECT, 'What is FEFO?');
        expect(first?.method).toBe('fts');
        expect(first?.title).toBe('Lotes y caducidad');
      } finally {
        fake.embeddingsFail = false;
      }
    });
  }
}

describe('knowledge retrieval on the real PostgreSQL (no pgvector: full-text search)', () => retrievalSuite('postgres', { vector: false }));
describe('knowledge retrieval on the embedded PostgreSQL with pgvector and embeddings', () => retrievalSuite('embedded', { vector: true }));
describe('knowledge retrieval on the embedded PostgreSQL without an embedding model', () => retrievalSuite('embedded', { vector: false }));

describe('the postgres migration without pgvector', () => {
  it('has no embedding column, so a configured embedding model is not used', async () => {
    const fake = await new FakeOpenAI().start();
    const test = await createSeededDatabase('postgres');
    try {
      const embeddings = createOpenAIEmbeddingModel({ apiKey: 'k', baseURL: fake.baseURL, model: 'e', timeoutMs: 5_000, maxRetries: 0 });
      const store = createKnowledgeStore({ db: test.db, tables: serviceTables(), embeddings });
      expect(await store.vectorSearch()).toBe(false);
      await store.add(PROJECT, { title: 'Picking', mediaType: 'text/plain', content: GLOSSARY.Picking!, createdBy: '1' });
      expect((await store.search(PROJECT, 'picking'))[0]?.method).toBe('fts');
      expect(fake.requests.filter((r) => r.path === '/v1/embeddings')).toHaveLength(0);
    } finally {
      await test.drop();
      await fake.stop();
    }
  });
});
