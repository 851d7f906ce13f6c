import type { ServiceTables } from '../adapters/db/tables.js';
import type { Database } from '../adapters/db/database.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from './errors.js';
import type { ChatMessage } from '../adapters/llm/model.js';
import type { SemanticCall } from './chat/semantic.js';

/** A stored turn. */
export type StoredMessage = {
  role: 'user' | 'assistant';
  content: string;
  source?: string;
  query?: string;
  data?: Record<string, unknown>;
  /** Set when answering this turn failed: what the client was told (a problem type). */
  error?: string;
  createdAt: Date;
};

export type ConversationSummary = { id: string; project: string; title: string; updatedAt: Date };

export type ConversationContext = {
  id: string;
  /** The last turns, oldest first, for the model. */
  history: ChatMessage[];
  /** The stored call that answered the last turn (a semantic query), for follow-ups ("¿y las enviadas?"); the answerer decodes it. */
  previousCall: unknown;
};

export type ConversationSettings = {
  /** The service's tables, qualified with DATABASE_SCHEMA. */
  tables: ServiceTables;
  historyTurns: number;
  retentionDays: number;
  now?: () => Date;
  /** Shared by every request of a process or isolate, so the purge runs at most every 10 minutes there. */
  purge: PurgeSchedule;
};

/** When expired conversations were last purged. */
export type PurgeSchedule = { last: number };
export const createPurgeSchedule = (): PurgeSchedule => ({ last: 0 });

type MessageRow = {
  role: 'user' | 'assistant';
  content: string;
  fuente: string | null;
  consulta: string | null;
  datos: Record<string, unknown> | null;
  query_call: unknown;
  error: string | null;
  created_at: Date | string;
};

const PURGE_EVERY_MS = 10 * 60_000;

/**
 * Conversation memory: the question is stored before answering and the answer (or the
 * failure) after, so no turn is lost. Conversations belong to one user and one project.
 */
export function createConversationStore(db: Database, settings: ConversationSettings) {
  const now = settings.now ?? (() => new Date());
  const { purge, tables: t } = settings;

  /** Deletes conversations idle for longer than the retention, at most every 10 minutes. */
  async function purgeExpired(): Promise<void> {
    if (settings.retentionDays <= 0 || now().getTime() - purge.last < PURGE_EVERY_MS) return;
    purge.last = now().getTime();
    await db.query(`DELETE FROM ${t.conversations} WHERE updated_at < $1::timestamptz - make_interval(days => $2::int)`, [
      now().toISOString(),
      settings.retentionDays,
    ]);
  }

  async function owned(id: string, userId: string): Promise<{ project: string }> {
    const [row] = await db.query<{ user_id: string; project: string }>(`SELECT user_id, project FROM ${t.conversations} WHERE id = $1`, [id]);
    if (!row) throw new NotFoundError('conversation', `unknown conversation ${id}`);
    if (row.user_id !== userId) throw new ForbiddenError('the conversation belongs to another user');
    return { project: row.project };
  }

  function startNew(question: string, userId: string, project: string): { context: ConversationContext; stored: Promise<void> } {
    const context: ConversationContext = { id: crypto.randomUUID(), history: [], previousCall: null };
    // A new conversation and its first question: one statement, one commit.
    const stored = purgeExpired().then(() =>
      db.query(
        // ON CONFLICT: a retried write (pg-pool.ts) of a conversation already stored is a no-op.
        `WITH created AS (INSERT INTO ${t.conversations} (id, user_id, project) VALUES ($1, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id)
         INSERT INTO ${t.messages} (conversation_id, role, content, write_key) SELECT id, 'user', $2, $5 FROM created`,
        [context.id, question, userId, project, crypto.randomUUID()],
      ),
    );
    return { context, stored: stored.then(() => undefined) };
  }

  return {
    /** Continues one of the caller's conversations in this project and stores the question. */
    async resume(question: string, userId: string, project: string, id: string): Promise<ConversationContext> {
      await purgeExpired();
      const conversation = await owned(id, userId);
      if (conversation.project !== project) {
        throw new InvalidInputError(`conversacion_id belongs to project "${conversation.project}"`);
      }
      const rows = await db.query<MessageRow>(
        `SELECT role, content, fuente, consulta, datos, query_call, error, created_at FROM (
           SELECT * FROM ${t.messages} WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2
         ) AS recent ORDER BY id`,
        [id, settings.historyTurns * 2],
      );
      const answered = rows.filter((row) => row.error === null);
      const lastAnswer = [...rows].reverse().find((row) => row.role === 'assistant');
      const context: ConversationContext = {
        id,
        history: answered.map((row) => ({ role: row.role, content: row.content })),
        previousCall: lastAnswer?.error === null ? lastAnswer.query_call : null,
      };
      await db.query(
        `WITH touched AS (UPDATE ${t.conversations} SET updated_at = now() WHERE id = $1)
         INSERT INTO ${t.messages} (conversation_id, role, content, write_key) VALUES ($1, 'user', $2, $3)
         ON CONFLICT (write_key) DO NOTHING`,
        [id, question, crypto.randomUUID()],
      );
      return context;
    },

    /**
     * Starts a new conversation without waiting for its first question to be written: the
     * caller answers meanwhile and awaits `stored` before recording the answer (or the
     * failure), so the question is always stored first and nothing is lost.
     */
    startNew,

    async recordAnswer(
      id: string,
      answer: { respuesta: string; fuente: string; consulta?: string; datos?: Record<string, unknown>; call?: SemanticCall },
    ): Promise<void> {
      await db.query(
        `INSERT INTO ${t.messages} (conversation_id, role, content, fuente, consulta, datos, query_call, write_key)
         VALUES ($1, 'assistant', $2, $3, $4, $5::jsonb, $6::jsonb, $7)
         ON CONFLICT (write_key) DO NOTHING`,
        [
          id,
          answer.respuesta,
          answer.fuente,
          answer.consulta ?? null,
          answer.datos ? JSON.stringify(answer.datos) : null,
          answer.call ? JSON.stringify(answer.call) : null,
          crypto.randomUUID(),
        ],
      );
    },

    /** Records that answering failed, with the problem type the client got. */
    async recordFailure(id: string, problemType: string): Promise<void> {
      await db.query(
        `INSERT INTO ${t.messages} (conversation_id, role, content, error, write_key) VALUES ($1, 'assistant', '', $2, $3)
         ON CONFLICT (write_key) DO NOTHING`,
        [id, problemType, crypto.randomUUID()],
      );
    },

    /** The caller's own conversation; 404 when unknown, 403 when someone else's. */
    async read(id: string, userId: string): Promise<{ id: string; project: string; messages: StoredMessage[] }> {
      const { project } = await owned(id, userId);
      const rows = await db.query<MessageRow>(
        `SELECT role, content, fuente, consulta, datos, query_call, error, created_at FROM ${t.messages} WHERE conversation_id = $1 ORDER BY id`,
        [id],
      );
      return {
        id,
        project,
        messages: rows.map((row) => ({
          role: row.role,
          content: row.content,
          ...(row.fuente ? { source: row.fuente } : {}),
          ...(row.consulta ? { query: row.consulta } : {}),
          ...(row.datos ? { data: row.datos } : {}),
          ...(row.error ? { error: row.error } : {}),
          createdAt: new Date(row.created_at),
        })),
      };
    },

    /** The caller's 50 most recently updated conversations (optionally in one project), newest first. */
    async list(userId: string, project?: string): Promise<ConversationSummary[]> {
      const rows = await db.query<{ id: string; project: string; title: string | null; updated_at: Date | string }>(
        `SELECT c.id, c.project, c.updated_at,
                (SELECT left(m.content, 120) FROM ${t.messages} m
                  WHERE m.conversation_id = c.id AND m.role = 'user' ORDER BY m.id LIMIT 1) AS title
           FROM ${t.conversations} c
          WHERE c.user_id = $1 AND ($2::text IS NULL OR c.project = $2::text)
          ORDER BY c.updated_at DESC, c.created_at DESC
          LIMIT 50`,
        [userId, project ?? null],
      );
      return rows.map((row) => ({ id: row.id, project: row.project, title: row.title ?? '', updatedAt: new Date(row.updated_at) }));
    },
  };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;
