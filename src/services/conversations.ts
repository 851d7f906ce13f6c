import type { ServiceTables } from '../adapters/db/tables.js';
import type { Database } from '../adapters/db/database.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from './errors.js';
import type { ChatMessage } from '../adapters/llm/model.js';
import type { SemanticCall } from './chat/semantic.js';
import { cutToBytes, utf8Bytes } from './bytes.js';
import { createConversationWrites } from './conversation-writes.js';

/** ANSWER_MAX_BYTES: a stored answer's text, and its data's JSON, each at most this (and so each message read back). */
export const DEFAULT_ANSWER_MAX_BYTES = 524_288;
/** CONVERSATION_PAGE_MAX_BYTES: a page of GET /api/v1/conversaciones/{id} stops after the message that passes this. */
export const DEFAULT_PAGE_MAX_BYTES = 2_097_152;
/** CONVERSATION_HISTORY_MAX_BYTES: the earlier turns' text sent to the model, newest kept first. */
export const DEFAULT_HISTORY_MAX_BYTES = 32_768;
/** Messages per page of a conversation: the default and the most a client may ask for. */
export const DEFAULT_PAGE_MESSAGES = 100;
export const MAX_PAGE_MESSAGES = 200;
/** A stored `consulta` (a query's name, or its SQL) is read back with at most this many characters. */
const MAX_QUERY_CHARS = 10_000;

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
/** A page of the list of a user's conversations, and the cursor for the next one (null: none). */
export type ConversationList = { conversations: ConversationSummary[]; next: string | null };

/** Conversations per page of the list: the default and the most a client may ask for. */
export const DEFAULT_LIST_CONVERSATIONS = 50;
export const MAX_LIST_CONVERSATIONS = 200;
/** A conversation's title: the first characters of its first question. */
const TITLE_CHARS = 120;
/** The list's cursor: the last conversation's updated_at (microseconds since 1970) and its id. */
const LIST_CURSOR = /^(\d{1,18})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

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
  /** ANSWER_MAX_BYTES (default 512 KiB). */
  answerMaxBytes?: number;
  /** CONVERSATION_PAGE_MAX_BYTES (default 2 MiB). */
  pageMaxBytes?: number;
  /** CONVERSATION_HISTORY_MAX_BYTES (default 32 KiB). */
  historyMaxBytes?: number;
  /**
   * A turn with no outcome recorded once its request's deadline (REQUEST_TIMEOUT_MS) has passed
   * ended without one (a killed process, a hung database link): it is recorded as `failure`,
   * the problem type a client past the deadline gets.
   */
  unfinished: { afterMs: number; failure: string };
};

/** A question being answered: where its outcome (answer or failure) is recorded. */
export type Turn = { conversationId: string; outcomeKey: string };

/** A question just asked: its conversation's context, its turn, and the question's write (in flight). */
export type OpenedTurn = { context: ConversationContext; turn: Turn; stored: Promise<void> };

/** One page of a conversation's messages, oldest first, and where the next page starts (null: none). */
export type ConversationPage = { id: string; project: string; messages: StoredMessage[]; next: string | null };


/**
 * `datos` as stored: at most `max` bytes of JSON. Rows that do not fit are left out (and
 * `truncated_by` says ANSWER_MAX_BYTES); other data that does not fit is replaced by that note.
 */
export function boundedData(datos: Record<string, unknown>, max: number): Record<string, unknown> {
  const json = JSON.stringify(datos);
  if (json.length <= max / 3 || utf8Bytes(json) <= max) return datos;
  const truncatedBy = [...(Array.isArray(datos.truncated_by) ? datos.truncated_by : []), 'ANSWER_MAX_BYTES'];
  const note = { truncated: true, truncated_by: truncatedBy };
  if (!Array.isArray(datos.rows)) return note;
  const { rows: _rows, ...rest } = datos;
  let used = utf8Bytes(JSON.stringify({ ...rest, ...note, rows: [] }));
  const rows: unknown[] = [];
  for (const row of datos.rows) {
    used += utf8Bytes(JSON.stringify(row)) + 1;
    if (used > max) break;
    rows.push(row);
  }
  return { ...rest, rows, ...note };
}

/** What recordAnswer stores of an answer. */
type StorableAnswer = { respuesta: string; fuente: string; consulta?: string; datos?: Record<string, unknown>; call?: SemanticCall };

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
 * Conversation memory: the question is stored (with a pending outcome) before answering and the
 * answer or the failure the client was told after, so no turn is lost or half-written; writes
 * of concurrent requests share commits (conversation-writes.ts). Conversations belong to one
 * user and one project.
 */
export function createConversationStore(db: Database, settings: ConversationSettings) {
  const now = settings.now ?? (() => new Date());
  const { purge, tables: t } = settings;
  const answerMaxBytes = settings.answerMaxBytes ?? DEFAULT_ANSWER_MAX_BYTES;
  const pageMaxBytes = settings.pageMaxBytes ?? DEFAULT_PAGE_MAX_BYTES;
  const historyMaxBytes = settings.historyMaxBytes ?? DEFAULT_HISTORY_MAX_BYTES;
  const writes = createConversationWrites(db, t);

  /**
   * At most every 10 minutes (and so on a process's first question): records the unfinished turns
   * of every conversation, and deletes conversations idle for longer than the retention.
   */
  async function purgeExpired(): Promise<void> {
    if (now().getTime() - purge.last < PURGE_EVERY_MS) return;
    purge.last = now().getTime();
    await sweepUnfinished();
    if (settings.retentionDays <= 0) return;
    await db.query(`DELETE FROM ${t.conversations} WHERE updated_at < $1::timestamptz - make_interval(days => $2::int)`, [
      now().toISOString(),
      settings.retentionDays,
    ]);
  }

  /**
   * Turns still pending past the request deadline (one conversation's, or all) get the failure a
   * client past the deadline is told. The database's clock on both sides: created_at is its own.
   */
  async function sweepUnfinished(conversationId?: string): Promise<void> {
    await db.query(
      `UPDATE ${t.messages} SET pending = false, error = $1
        WHERE pending AND created_at < clock_timestamp() - make_interval(secs => $2::float8 / 1000)
          AND ($3::uuid IS NULL OR conversation_id = $3::uuid)`,
      [settings.unfinished.failure, settings.unfinished.afterMs, conversationId ?? null],
    );
  }

  async function owned(id: string, userId: string): Promise<{ project: string }> {
    const [row] = await db.query<{ user_id: string; project: string }>(`SELECT user_id, project FROM ${t.conversations} WHERE id = $1`, [id]);
    return ownedBy(row, id, userId);
  }

  /**
   * The question's write (batched with other requests'), once `ready` (housekeeping) is done:
   * the pending outcome row comes with it.
   */
  function storeQuestion(question: string, id: string, ready: Promise<void>, owner?: { userId: string; project: string }): { turn: Turn; stored: Promise<void> } {
    const turn: Turn = { conversationId: id, outcomeKey: crypto.randomUUID() };
    const write = { conversationId: id, owner, content: question, questionKey: crypto.randomUUID(), outcomeKey: turn.outcomeKey };
    return { turn, stored: ready.then(() => writes.question(write)) };
  }

  return {
    /**
     * Starts a new conversation without waiting for its first question to be written: the
     * caller answers meanwhile and awaits `stored` before recording the answer (or the
     * failure), so the question is always stored first and nothing is lost.
     */
    startNew(question: string, userId: string, project: string): OpenedTurn {
      const context: ConversationContext = { id: crypto.randomUUID(), history: [], previousCall: null };
      return { context, ...storeQuestion(question, context.id, purgeExpired(), { userId, project }) };
    },

    /**
     * Continues one of the caller's conversations in this project: reads its recent turns, then
     * stores the question while the caller answers (awaiting `stored` before recording the outcome).
     */
    async resume(question: string, userId: string, project: string, id: string): Promise<OpenedTurn> {
      await purgeExpired();
      // The owner and the recent turns in one round trip. Never a whole stored row: each turn's
      // text is cut in PostgreSQL (one character more than fits, so that the cut below shows), and
      // datos is not read. An outcome still pending (another question of this conversation in
      // flight) is left out: a follow-up refines the last answer that is there.
      const found = await db.query<{ user_id: string; project: string; role: MessageRow['role'] | null } & Pick<MessageRow, 'content' | 'query_call' | 'error'>>(
        `SELECT c.user_id, c.project, recent.role, recent.content, recent.query_call, recent.error
           FROM ${t.conversations} c
           LEFT JOIN LATERAL (
             SELECT id, role, left(content, $3 + 1) AS content, query_call, error
               FROM ${t.messages} WHERE conversation_id = c.id AND NOT pending ORDER BY id DESC LIMIT $2
           ) AS recent ON true
          WHERE c.id = $1
          ORDER BY recent.id`,
        [id, settings.historyTurns * 2, historyMaxBytes],
      );
      const conversation = ownedBy(found[0], id, userId);
      if (conversation.project !== project) {
        throw new InvalidInputError(`conversacion_id belongs to project "${conversation.project}"`);
      }
      const rows = found.filter((row): row is typeof row & { role: MessageRow['role'] } => row.role !== null);
      const answered = rows.filter((row) => row.error === null);
      const lastAnswer = [...rows].reverse().find((row) => row.role === 'assistant');
      const context: ConversationContext = {
        id,
        history: boundedHistory(answered, historyMaxBytes),
        previousCall: lastAnswer?.error === null ? lastAnswer.query_call : null,
      };
      return { context, ...storeQuestion(question, id, Promise.resolve()) }; // purged above, before the read
    },

    /** Stores the answer within ANSWER_MAX_BYTES and returns it as stored, for the client to be told the same. */
    async recordAnswer<A extends StorableAnswer>(turn: Turn, full: A): Promise<A> {
      const respuesta = cutToBytes(full.respuesta, answerMaxBytes);
      const answer: A = full.datos ? { ...full, respuesta, datos: boundedData(full.datos, answerMaxBytes) } : respuesta === full.respuesta ? full : { ...full, respuesta };
      await writes.outcome({
        ...turn,
        content: answer.respuesta,
        fuente: answer.fuente,
        consulta: answer.consulta ?? null,
        datos: answer.datos ?? null,
        queryCall: answer.call ?? null,
      });
      return answer;
    },

    /**
     * Records that answering failed, with the problem type the client got. It replaces an answer
     * stored just before the client was told otherwise (a 504 that won the race): the conversation
     * says what the client was told.
     */
    async recordFailure(turn: Turn, problemType: string): Promise<void> {
      await writes.outcome({ ...turn, content: '', error: problemType });
    },

    /**
     * One page of the caller's own conversation (404 when unknown, 403 when someone else's):
     * up to `limit` messages after the message `after` (a cursor from the previous page's
     * `next`), oldest first, stopping after the message that brings the page past
     * CONVERSATION_PAGE_MAX_BYTES. No stored row is read whole: text is cut in PostgreSQL to
     * ANSWER_MAX_BYTES characters (then bytes), and data larger than ANSWER_MAX_BYTES is left out
     * (`{"truncated": true, "truncated_by": ["ANSWER_MAX_BYTES"]}` instead).
     */
    async read(id: string, userId: string, page: { limit?: number; after?: string } = {}): Promise<ConversationPage> {
      const limit = pageLimit(page.limit, DEFAULT_PAGE_MESSAGES, MAX_PAGE_MESSAGES);
      const after = page.after && /^\d{1,18}$/.test(page.after) ? page.after : '0';
      const { project } = await owned(id, userId);
      await sweepUnfinished(id);
      const rows = await db.query<MessageRow & { id: string | number; datos_omitted: boolean; page_rows: string | number }>(
        `WITH page AS MATERIALIZED (
           SELECT id, role, left(content, $4 + 1) AS content, fuente, left(consulta, ${MAX_QUERY_CHARS}) AS consulta,
                  CASE WHEN octet_length(datos::text) <= $4 THEN datos END AS datos,
                  coalesce(octet_length(datos::text) > $4, false) AS datos_omitted, left(error, 200) AS error, created_at
             FROM ${t.messages} WHERE conversation_id = $1 AND id > $2::bigint AND NOT pending ORDER BY id LIMIT $3
         ), sized AS (
           SELECT page.*, octet_length(content) + coalesce(octet_length(datos::text), 0) + coalesce(octet_length(consulta), 0) AS own
             FROM page
         ), counted AS (
           SELECT sized.*, sum(own) OVER (ORDER BY id) AS running FROM sized
         )
         SELECT id, role, content, fuente, consulta, datos, datos_omitted, error, created_at, (SELECT count(*) FROM page) AS page_rows
           FROM counted WHERE running - own <= $5 ORDER BY id`,
        [id, after, limit + 1, answerMaxBytes, pageMaxBytes],
      );
      const kept = rows.slice(0, limit);
      const more = Number(rows[0]?.page_rows ?? 0) > kept.length;
      return {
        id,
        project,
        next: more && kept.length > 0 ? String(kept[kept.length - 1]!.id) : null,
        messages: kept.map((row) => ({
          role: row.role,
          content: cutToBytes(row.content, answerMaxBytes),
          ...(row.fuente ? { source: row.fuente } : {}),
          ...(row.consulta ? { query: row.consulta } : {}),
          ...(row.datos ? { data: row.datos } : row.datos_omitted ? { data: { truncated: true, truncated_by: ['ANSWER_MAX_BYTES'] } } : {}),
          ...(row.error ? { error: row.error } : {}),
          createdAt: new Date(row.created_at),
        })),
      };
    },

    /**
     * The caller's most recently updated conversations (optionally in one project), newest
     * first: up to `limit` (default 50, at most 200) after the one `after` names (a cursor from
     * the previous page's `next`), each titled by its first question's first 120 characters.
     */
    async list(userId: string, project?: string, page: { limit?: number; after?: string } = {}): Promise<ConversationList> {
      const limit = pageLimit(page.limit, DEFAULT_LIST_CONVERSATIONS, MAX_LIST_CONVERSATIONS);
      const after = page.after === undefined ? undefined : LIST_CURSOR.exec(page.after);
      if (page.after !== undefined && !after) throw new InvalidInputError('despues must be the siguiente of a previous page');
      // The cursor is the last conversation's updated_at in whole microseconds and its id:
      // exact, unlike a JavaScript Date, so no conversation is skipped or repeated.
      const rows = await db.query<{ id: string; project: string; title: string | null; updated_at: Date | string; position: string | number }>(
        `SELECT c.id, c.project, c.updated_at, c.position,
                (SELECT left(m.content, ${TITLE_CHARS}) FROM ${t.messages} m
                  WHERE m.conversation_id = c.id AND m.role = 'user' ORDER BY m.id LIMIT 1) AS title
           FROM (SELECT id, project, updated_at, (extract(epoch FROM updated_at) * 1000000)::bigint AS position
                   FROM ${t.conversations}
                  WHERE user_id = $1 AND ($2::text IS NULL OR project = $2::text)) AS c
          WHERE $4::bigint IS NULL OR (c.position, c.id) < ($4::bigint, $5::uuid)
          ORDER BY c.position DESC, c.id DESC
          LIMIT $3`,
        [userId, project ?? null, limit + 1, after?.[1] ?? null, after?.[2] ?? null],
      );
      const kept = rows.slice(0, limit);
      const last = kept[kept.length - 1];
      return {
        conversations: kept.map((row) => ({ id: row.id, project: row.project, title: row.title ?? '', updatedAt: new Date(row.updated_at) })),
        next: rows.length > limit && last ? `${last.position}_${last.id}` : null,
      };
    },
  };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;

/** A page size asked for (or the default), as a whole number from 1 to `max`. */
const pageLimit = (asked: number | undefined, byDefault: number, max: number): number => Math.min(Math.max(1, Math.trunc(asked ?? byDefault)), max);

/** The conversation's project when `row` (the stored conversation) is the caller's: 404 when none, 403 when someone else's. */
function ownedBy(row: { user_id: string; project: string } | undefined, id: string, userId: string): { project: string } {
  if (!row) throw new NotFoundError('conversation', `unknown conversation ${id}`);
  if (row.user_id !== userId) throw new ForbiddenError('the conversation belongs to another user');
  return { project: row.project };
}

/** The turns (oldest first) whose text, newest first, fits `max` bytes; the turn that crosses it is cut, older ones left out. */
function boundedHistory(turns: readonly { role: 'user' | 'assistant'; content: string }[], max: number): ChatMessage[] {
  const kept: ChatMessage[] = [];
  let left = max;
  for (let i = turns.length - 1; i >= 0 && left >= 16; i--) {
    const turn = turns[i]!;
    const content = cutToBytes(turn.content, left);
    left -= utf8Bytes(content);
    kept.unshift({ role: turn.role, content });
  }
  return kept;
}
