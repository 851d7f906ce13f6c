import type { Database } from '../adapters/db/database.js';
import type { ServiceTables } from '../adapters/db/tables.js';
import { createGroupCommit } from './group-commit.js';
import { utf8Bytes } from './bytes.js';

/** A question to store, with the pending row its outcome will fill in. */
export type QuestionWrite = {
  conversationId: string;
  /** Set for a new conversation's first question: the conversation is created with it. */
  owner?: { userId: string; project: string };
  content: string;
  questionKey: string;
  outcomeKey: string;
};

/** A turn's outcome: the answer, or the failure the client was told (`error`, a problem type). */
export type OutcomeWrite = {
  conversationId: string;
  outcomeKey: string;
  content: string;
  fuente?: string | null;
  consulta?: string | null;
  datos?: Record<string, unknown> | null;
  queryCall?: unknown;
  error?: string | null;
};

/**
 * Group commit of conversation writes (see group-commit.ts): two batches at once per kind leaves
 * most of a pool of 10 to the queries; 200 turns or 4 MiB per statement keeps one statement's
 * parameters bounded (a stored answer may be up to 2 × ANSWER_MAX_BYTES).
 */
const BATCHES_IN_FLIGHT = 2;
const MAX_TURNS_PER_STATEMENT = 200;
const MAX_STATEMENT_BYTES = 4 * 1_048_576;

/**
 * The conversation store's writes, each a single statement over a JSON array of turns (one
 * parameter, the same on every driver) so that concurrent requests share one commit. Every row
 * carries a key chosen by the writer: a statement retried after a lost link (pg-pool.ts) changes
 * nothing.
 */
export function createConversationWrites(db: Database, t: ServiceTables) {
  const questions = createGroupCommit<QuestionWrite>({
    maxInFlight: BATCHES_IN_FLIGHT,
    maxItems: MAX_TURNS_PER_STATEMENT,
    maxBytes: MAX_STATEMENT_BYTES,
    sizeOf: (write) => utf8Bytes(write.content) + 200,
    write: async (writes) => {
      const rows = writes.map((write, ord) => ({
        ord,
        conversation_id: write.conversationId,
        user_id: write.owner?.userId ?? null,
        project: write.owner?.project ?? null,
        content: write.content,
        question_key: write.questionKey,
        outcome_key: write.outcomeKey,
      }));
      // New conversations are created, continued ones touched; then each question and, right after
      // it, its pending outcome (in input order, so a question always precedes its outcome).
      await db.query(
        `WITH turn AS (
           SELECT * FROM jsonb_to_recordset($1::jsonb)
             AS v(ord int, conversation_id uuid, user_id text, project text, content text, question_key uuid, outcome_key uuid)
         ), created AS (
           INSERT INTO ${t.conversations} (id, user_id, project)
           SELECT conversation_id, user_id, project FROM turn WHERE user_id IS NOT NULL
           ON CONFLICT (id) DO NOTHING
         ), touched AS (
           UPDATE ${t.conversations} SET updated_at = now() WHERE id IN (SELECT conversation_id FROM turn WHERE user_id IS NULL)
         )
         INSERT INTO ${t.messages} (conversation_id, role, content, write_key, pending)
         SELECT turn.conversation_id, row.role, row.content, row.write_key, row.pending
           FROM turn CROSS JOIN LATERAL (VALUES (1, 'user', turn.content, turn.question_key, false),
                                                (2, 'assistant', '', turn.outcome_key, true)) AS row(n, role, content, write_key, pending)
          ORDER BY turn.ord, row.n
         ON CONFLICT (write_key) DO NOTHING`,
        [JSON.stringify(rows)],
      );
    },
  });

  const outcomes = createGroupCommit<OutcomeWrite>({
    maxInFlight: BATCHES_IN_FLIGHT,
    maxItems: MAX_TURNS_PER_STATEMENT,
    maxBytes: MAX_STATEMENT_BYTES,
    sizeOf: (write) => utf8Bytes(write.content) + (write.datos ? utf8Bytes(JSON.stringify(write.datos)) : 0) + 200,
    write: async (writes) => {
      // One row per turn (a statement may not touch a row twice): the failure the client was told wins.
      const byKey = new Map<string, OutcomeWrite>();
      for (const write of writes) if (!byKey.get(write.outcomeKey)?.error) byKey.set(write.outcomeKey, write);
      const rows = [...byKey.values()].map((write) => ({
        conversation_id: write.conversationId,
        write_key: write.outcomeKey,
        content: write.content,
        fuente: write.fuente ?? null,
        consulta: write.consulta ?? null,
        datos: write.datos ?? null,
        query_call: write.queryCall ?? null,
        error: write.error ?? null,
      }));
      // An answer fills its pending row (inserted when the question predates pending rows) and
      // never replaces an outcome already recorded; a failure is what the client was told, so it
      // replaces an answer stored before a 504 went out.
      await db.query(
        `INSERT INTO ${t.messages} AS m (conversation_id, role, content, fuente, consulta, datos, query_call, error, write_key, pending)
         SELECT conversation_id, 'assistant', content, fuente, consulta, datos, query_call, error, write_key, false
           FROM jsonb_to_recordset($1::jsonb)
             AS v(conversation_id uuid, write_key uuid, content text, fuente text, consulta text, datos jsonb, query_call jsonb, error text)
         ON CONFLICT (write_key) DO UPDATE
            SET content = EXCLUDED.content, fuente = EXCLUDED.fuente, consulta = EXCLUDED.consulta, datos = EXCLUDED.datos,
                query_call = EXCLUDED.query_call, error = EXCLUDED.error, pending = false, created_at = EXCLUDED.created_at
          WHERE m.pending OR EXCLUDED.error IS NOT NULL`,
        [JSON.stringify(rows)],
      );
    },
  });

  return { question: questions, outcome: outcomes };
}

export type ConversationWrites = ReturnType<typeof createConversationWrites>;
