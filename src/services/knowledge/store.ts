import type { ServiceTables } from '../../adapters/db/tables.js';
import type { Database, Transaction } from '../../adapters/db/database.js';
import type { EmbeddingModel } from '../../adapters/llm/embeddings.js';
import { ModelError } from '../../adapters/llm/model.js';
import { cutToBytes } from '../bytes.js';
import { LimitReachedError } from '../errors.js';
import { chunkText, type MediaType } from './chunk.js';

/** DOCUMENTS_MAX_PER_PROJECT's default. */
const DEFAULT_MAX_DOCUMENTS = 1_000;

export type NewDocument = { title: string; mediaType: MediaType; content: string; createdBy: string };

export type DocumentInfo = {
  id: string;
  title: string;
  mediaType: MediaType;
  sizeBytes: number;
  /** How many passages it was split into. */
  passages: number;
  createdBy: string;
  createdAt: Date;
};

/** A passage found for a question: always of the project searched. */
export type Passage = {
  documentId: string;
  title: string;
  position: number;
  content: string;
  score: number;
  /** How it was found. */
  method: 'vector' | 'fts';
};

export type SearchOptions = { limit?: number; signal?: AbortSignal | undefined };

export type KnowledgeStore = {
  add(project: string, document: NewDocument, options?: { signal?: AbortSignal | undefined }): Promise<DocumentInfo>;
  list(project: string): Promise<DocumentInfo[]>;
  /** False when the project has no such document. */
  remove(project: string, id: string): Promise<boolean>;
  hasDocuments(project: string): Promise<boolean>;
  search(project: string, question: string, options?: SearchOptions): Promise<Passage[]>;
  /** Whether passages get embeddings here: an embedding model is configured and pgvector exists. */
  vectorSearch(): Promise<boolean>;
};

export type KnowledgeStoreOptions = {
  db: Database;
  /** The service's tables, qualified with DATABASE_SCHEMA. */
  tables: ServiceTables;
  /** Without it (or without pgvector) search is full-text only. */
  embeddings?: EmbeddingModel | null | undefined;
  /** Vector matches below this cosine similarity are ignored (default 0.3). */
  minSimilarity?: number;
  /** What was learnt about the schema, kept across requests (createKnowledgeFacts); default: this store's own. */
  facts?: KnowledgeFacts;
  /** DOCUMENTS_MAX_PER_PROJECT (default 1,000). */
  maxDocuments?: number;
};

/** Whether the passages table has an embedding column (pgvector): asked once per process or isolate. */
export type KnowledgeFacts = { embeddingColumn?: Promise<boolean> | undefined };
export const createKnowledgeFacts = (): KnowledgeFacts => ({});

/** Question words used for full-text search; more are ignored. */
const MAX_QUERY_WORDS = 32;
const DEFAULT_LIMIT = 4;
/**
 * A passage found is at most this many bytes (cut in PostgreSQL, then to bytes, ending in "…"),
 * as sent to the model and returned in `citas`, and its document's title at most
 * MAX_TITLE_CHARS characters: uploads make passages of about 800 characters, but a row written
 * otherwise (an older version, another tool) is never read whole.
 */
export const MAX_PASSAGE_BYTES = 4_096;
const MAX_TITLE_CHARS = 200;

/**
 * Documents and their passages, per project. Every statement binds the project as a
 * parameter; passages carry their document's project (composite foreign key), so no search
 * can return another project's text.
 */
export function createKnowledgeStore(options: KnowledgeStoreOptions): KnowledgeStore {
  const { db, tables: t } = options;
  const minSimilarity = options.minSimilarity ?? 0.3;
  const maxDocuments = options.maxDocuments ?? DEFAULT_MAX_DOCUMENTS;
  const facts = options.facts ?? createKnowledgeFacts();
  const embeddingColumn = () =>
    (facts.embeddingColumn ??= db
      .query<{ present: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM information_schema.columns
                         WHERE table_schema = $1 AND table_name = 'document_chunks' AND column_name = 'embedding') AS present`,
        [t.schemaName],
      )
      .then(([row]) => row?.present === true)
      .catch((error) => {
        facts.embeddingColumn = undefined;
        throw error;
      }));
  const vectorSearch = async () => Boolean(options.embeddings) && (await embeddingColumn());

  const inTransaction = <T>(work: (tx: Transaction) => Promise<T>): Promise<T> =>
    db.transaction ? db.transaction(work) : work(db);

  async function list(project: string, id?: string): Promise<DocumentInfo[]> {
    const rows = await db.query<{
      id: string;
      title: string;
      media_type: MediaType;
      size_bytes: number;
      chunks: number;
      created_by: string;
      created_at: Date | string;
    }>(
      `SELECT d.id, d.title, d.media_type, d.size_bytes, d.created_by, d.created_at,
              (SELECT count(*)::int FROM ${t.documentChunks} c WHERE c.document_id = d.id AND c.project = d.project) AS chunks
         FROM ${t.documents} d
        WHERE d.project = $1 AND ($2::uuid IS NULL OR d.id = $2::uuid)
        ORDER BY d.created_at DESC, d.title
        LIMIT $3`,
      [project, id ?? null, maxDocuments],
    );
    return rows.map((row) => ({
      id: row.id,
      title: row.title,
      mediaType: row.media_type,
      sizeBytes: Number(row.size_bytes),
      passages: Number(row.chunks),
      createdBy: row.created_by,
      createdAt: new Date(row.created_at),
    }));
  }

  async function searchFts(project: string, question: string, limit: number): Promise<Passage[]> {
    const words = queryWords(question);
    if (words.length === 0) return [];
    // Each word as websearch_to_tsquery in Spanish OR English; words that either language
    // treats as a stop word ("the", "es", "what", "de") are dropped, so that the other
    // language's index does not match them everywhere. Words are OR-ed: a question rarely
    // uses every word of its answer.
    const rows = await db.query<{ document_id: string; title: string; position: number; content: string; score: number }>(
      `WITH words AS (
         SELECT websearch_to_tsquery('spanish', w) AS es, websearch_to_tsquery('english', w) AS en
           FROM unnest($2::text[]) AS w
       ), q AS (
         SELECT string_agg('(' || (es || en)::text || ')', ' | ')::tsquery AS query
           FROM words WHERE numnode(es) > 0 AND numnode(en) > 0
       )
       SELECT c.document_id, left(d.title, ${MAX_TITLE_CHARS}) AS title, c.position, left(c.content, ${MAX_PASSAGE_BYTES + 1}) AS content,
              ts_rank_cd(c.tsv, q.query)::float8 AS score
         FROM q, ${t.documentChunks} c
         JOIN ${t.documents} d ON d.id = c.document_id AND d.project = c.project
        WHERE q.query IS NOT NULL AND c.project = $1 AND c.tsv @@ q.query
        ORDER BY score DESC, d.created_at, c.document_id, c.position
        LIMIT $3`,
      [project, words, limit],
    );
    return rows.map((row) => ({ ...passageOf(row), method: 'fts' as const }));
  }

  async function searchVector(project: string, vector: number[], limit: number): Promise<Passage[]> {
    const rows = await db.query<{ document_id: string; title: string; position: number; content: string; score: number }>(
      `SELECT c.document_id, left(d.title, ${MAX_TITLE_CHARS}) AS title, c.position, left(c.content, ${MAX_PASSAGE_BYTES + 1}) AS content,
              (1 - (c.embedding <=> $2::vector))::float8 AS score
         FROM ${t.documentChunks} c
         JOIN ${t.documents} d ON d.id = c.document_id AND d.project = c.project
        WHERE c.project = $1 AND c.embedding IS NOT NULL AND vector_dims(c.embedding) = $3
        ORDER BY c.embedding <=> $2::vector, c.document_id, c.position
        LIMIT $4`,
      [project, vectorLiteral(vector), vector.length, limit],
    );
    return rows.map((row) => ({ ...passageOf(row), method: 'vector' as const })).filter((p) => p.score >= minSimilarity);
  }

  return {
    vectorSearch,

    async add(project, document, { signal } = {}) {
      const passages = chunkText(document.content, document.mediaType);
      if (passages.length === 0) throw new Error('the document has no text');
      // Embeddings first: a network call does not belong inside a transaction.
      const vectors = (await vectorSearch()) ? await options.embeddings!.embed(passages.map((p) => `${document.title}\n${p}`), { signal }) : null;
      const id = crypto.randomUUID();
      await inTransaction(async (tx) => {
        // The project's row, locked, serialises its uploads: the count below cannot be raced past the cap.
        await tx.query(`SELECT 1 FROM ${t.projects} WHERE slug = $1 FOR UPDATE`, [project]);
        const [held] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t.documents} WHERE project = $1`, [project]);
        if (Number(held?.n ?? 0) >= maxDocuments) {
          throw new LimitReachedError(`project "${project}" already has ${maxDocuments} documents (DOCUMENTS_MAX_PER_PROJECT): delete one first`);
        }
        await tx.query(
          `INSERT INTO ${t.documents} (id, project, title, media_type, size_bytes, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
          [id, project, document.title, document.mediaType, new TextEncoder().encode(document.content).length, document.createdBy],
        );
        const positions = passages.map((_, index) => index);
        if (vectors) {
          await tx.query(
            `INSERT INTO ${t.documentChunks} (document_id, project, position, content, embedding)
             SELECT $1, $2, p, c, e::vector FROM unnest($3::int[], $4::text[], $5::text[]) AS t(p, c, e)`,
            [id, project, positions, passages, vectors.map(vectorLiteral)],
          );
        } else {
          await tx.query(
            `INSERT INTO ${t.documentChunks} (document_id, project, position, content)
             SELECT $1, $2, p, c FROM unnest($3::int[], $4::text[]) AS t(p, c)`,
            [id, project, positions, passages],
          );
        }
      });
      const [info] = await list(project, id);
      return info!;
    },

    list: (project) => list(project),

    async remove(project, id) {
      const rows = await db.query(`DELETE FROM ${t.documents} WHERE project = $1 AND id = $2 RETURNING id`, [project, id]);
      return rows.length > 0;
    },

    async hasDocuments(project) {
      const rows = await db.query(`SELECT 1 FROM ${t.documents} WHERE project = $1 LIMIT 1`, [project]);
      return rows.length > 0;
    },

    async search(project, question, { limit = DEFAULT_LIMIT, signal } = {}) {
      const bounded = Math.max(1, Math.min(20, Math.trunc(limit)));
      if (await vectorSearch()) {
        let vector: number[] | undefined;
        try {
          [vector] = await options.embeddings!.embed([question], { signal });
        } catch (error) {
          // A failing embedding provider degrades to full-text search; a cancelled request does not.
          if (!(error instanceof ModelError)) throw error;
        }
        if (vector) {
          const found = await searchVector(project, vector, bounded);
          if (found.length > 0) return found;
        }
      }
      return searchFts(project, question, bounded);
    },
  };
}

/** Lower-cased words of the question (letters, digits, inner "-" and "_"), at most MAX_QUERY_WORDS. */
export function queryWords(question: string): string[] {
  const words = question.toLowerCase().match(/[\p{L}\p{N}]+(?:[-_][\p{L}\p{N}]+)*/gu) ?? [];
  return [...new Set(words)].slice(0, MAX_QUERY_WORDS);
}

function passageOf(row: { document_id: string; title: string; position: number; content: string; score: number }) {
  return { documentId: row.document_id, title: row.title, position: Number(row.position), content: cutToBytes(row.content, MAX_PASSAGE_BYTES), score: Number(row.score) };
}

function vectorLiteral(vector: readonly number[]): string {
  if (vector.some((x) => !Number.isFinite(x))) throw new ModelError('upstream', 'the embedding model returned a non-numeric vector');
  return `[${vector.join(',')}]`;
}
