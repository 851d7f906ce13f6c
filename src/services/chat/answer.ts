import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Database } from '../../adapters/db/database.js';
import type { ChatMessage, ChatModel, ToolCall, ToolSpec } from '../../adapters/llm/model.js';
import { ModelNotConfigured } from '../errors.js';
import { GuardedSqlRefusal, guardedSqlUnsupported, runGuardedSql, type GuardedSqlResult } from '../guarded-sql/execute.js';
import { MAX_SQL_LENGTH } from '../guarded-sql/guard.js';
import type { GuardedAccess } from '../guarded-sql/model-access.js';
import type { SqlParser } from '../guarded-sql/parser.js';
import { citationsFor, findPassages, passagesAnswer, systemPromptWithPassages, type Cita } from '../knowledge/answer.js';
import type { KnowledgeStore } from '../knowledge/store.js';
import { detectLanguage } from '../language.js';
import type { Project } from '../projects.js';
import { runSemanticQuery } from '../semantic-model/run.js';
import type { Language, SemanticQuery } from '../semantic-model/schema.js';
import {
  compileSemantic,
  isAnswerable,
  parseSemanticToolCall,
  readStoredCall,
  semanticShape,
  toolParameters,
  type CompiledSemantic,
  type SemanticCall,
  type SemanticShape,
} from './semantic.js';

/** A database answer's data and sentence, as the result cache keeps them. */
type QueryResult = { datos: Record<string, unknown>; respuesta: string };

/** Where the time went, for the request's log line. */
export type AnswerMetrics = { dbMs?: number; modelMs?: number; modelTokens?: number };

export type Answer = (
  /** From the project's semantic model: `consulta` is the query's shape, `call` is stored for follow-ups. */
  | { fuente: 'database'; respuesta: string; consulta: SemanticShape; datos: Record<string, unknown>; call: SemanticCall }
  /** Model-written SQL that passed the guard: `sql` is the statement that ran. */
  | { fuente: 'database'; respuesta: string; consulta: typeof RUN_SQL; datos: Record<string, unknown>; sql: string }
  | { fuente: 'openai'; respuesta: string }
  /** From the project's documents: the passages it is based on are in `citas`. */
  | { fuente: 'documentos'; respuesta: string; citas: Cita[] }
) & { metrics: AnswerMetrics };

export type Question = {
  text: string;
  project: Project;
  /** Earlier turns of the conversation, oldest first. */
  history?: ChatMessage[];
  /**
   * The query that answered the previous turn, for follow-ups, as stored (see semantic.ts); read
   * with readStoredCall, so an unreadable row is no call.
   */
  previousCall?: unknown;
  signal?: AbortSignal | undefined;
  /** Receives the model's text as it streams. */
  onDelta?: ((text: string) => void) | undefined;
};

export type AnswererDeps = {
  db: Database;
  model: ChatModel | null;
  now: () => Date;
  timeZone: string;
  /** SEMANTIC_MAX_VALUE_BYTES: one value of a semantic query's rows longer than this is cut (default 4 KiB). */
  semanticMaxValueBytes?: number | undefined;
  /** Built once per process or isolate (createAnswerCaches); shared by every request. */
  caches: AnswerCaches;
  /** The projects' documents; questions of a project with relevant passages are answered from them. */
  knowledge?: KnowledgeStore | undefined;
  /** Guarded model-written SQL, for projects that opt in; absent where the parser cannot run. */
  guardedSql?: { parser: SqlParser; rowLimit: number; timeoutMs: number; maxCost?: number; maxBytes?: number; maxValueBytes?: number } | undefined;
};

/** Database answers kept at once when the result cache is on. */
const RESULT_CACHE_MAX = 1_000;
/** Compiled semantic models (matcher + tool) kept at once: one per (project, model version) in use. */
const SEMANTIC_CACHE_MAX = 100;

/**
 * What answering keeps between requests: the compiled semantic models, the semantic queries
 * running now (single-flight) and, when `resultCacheTtlMs` > 0, database answers per (project,
 * model version, tenant, query, language), bounded and expiring.
 */
export function createAnswerCaches({ resultCacheTtlMs }: { resultCacheTtlMs: number }) {
  // Per database handle, by result key: a request whose query is already running waits for it
  // instead of sending it again, and gets its result or its error. An entry leaves when its query
  // settles, so nothing outlives the query (no staleness, a failure is not kept: the next request
  // retries) and the map never holds more than the distinct queries in flight, at most one per
  // request in progress. The query runs without any request's signal, so a waiter that gives up
  // (client gone, deadline) does not cancel it for the others. Keyed by handle because on Workers
  // each request has its own connection, which ends with its request: another request must not
  // wait on it.
  const running = new WeakMap<Database, Map<string, Promise<QueryResult>>>();
  // Keyed by project slug and model version (md5 of the stored model): a new model is compiled
  // on its first question, the old entry ages out; two projects sharing a model still get their
  // own entry, which is cheap and keeps the key obviously right.
  const semantic = new LRUCache<string, CompiledSemantic>({ max: SEMANTIC_CACHE_MAX });
  return {
    semanticFor(project: { slug: string; semantic: NonNullable<Project['semantic']> }): CompiledSemantic {
      const key = JSON.stringify([project.slug, project.semantic.version]);
      let compiled = semantic.get(key);
      if (!compiled) {
        compiled = compileSemantic(project.semantic.model);
        semantic.set(key, compiled);
      }
      return compiled;
    },
    /** Runs `run` for `key` on `db`, or joins the identical query already running there. */
    singleFlight(db: Database, key: string, run: () => Promise<QueryResult>): Promise<QueryResult> {
      let queries = running.get(db);
      if (!queries) running.set(db, (queries = new Map()));
      let query = queries.get(key);
      if (!query) {
        const own = queries;
        query = run().finally(() => own.delete(key));
        queries.set(key, query);
      }
      return query;
    },
    results:
      resultCacheTtlMs > 0
        ? new LRUCache<string, QueryResult, () => Promise<QueryResult>>({
            max: RESULT_CACHE_MAX,
            ttl: resultCacheTtlMs,
            fetchMethod: (_key, _stale, { context: run }) => run(),
          })
        : null,
  };
}
export type AnswerCaches = ReturnType<typeof createAnswerCaches>;

/** Model rounds per question: a first try, and one more after invalid tool arguments. */
const MAX_MODEL_ROUNDS = 2;

const CANNOT_ANSWER_SAFELY: Record<Language, (reason: string) => string> = {
  es: (reason) => `No puedo responder esa pregunta de forma segura: ${reason}.`,
  en: (reason) => `I cannot answer that question safely: ${reason}.`,
};

const CANNOT_ANSWER: Record<Language, string> = {
  es: 'No pude responder esa pregunta con los datos de este proyecto. Prueba a formularla de otra manera.',
  en: "I could not answer that question from this project's data. Try asking it another way.",
};

/**
 * Answers a question within one project, the project always being the verified one:
 * 1. a deterministic match of the project's semantic model (or a follow-up of the previous
 *    turn), no model call;
 * 2. otherwise the model, offered the model's query_data tool (and, where the project opted in,
 *    one guarded SELECT over the model's tables): a valid tool call runs with the server-bound
 *    tenant and the answer is phrased from the real rows;
 * 3. otherwise the model's own answer (or the project's documents), with the project's prompt
 *    and the conversation.
 */
export function createAnswerer(deps: AnswererDeps) {
  const { results, semanticFor, singleFlight } = deps.caches;

  /** Step 1 for a project with a semantic model: its matcher, or a follow-up of the previous semantic turn. */
  function deterministicSemantic(
    question: Question,
    semantic: SemanticProject,
    compiled: CompiledSemantic,
    language: Language,
  ): { query: SemanticQuery; language: Language } | null {
    // The model's matcher knows the model's words, so its reading of the language wins ("draft invoices").
    const match = compiled.matcher.match(question.text);
    if (match) return match;
    const stored = readStoredCall(question.previousCall);
    if (!stored) return null;
    // A turn answered under an older version of the model may name what no longer exists.
    if (!isAnswerable(semantic.model, stored.query)) return null;
    const refined = compiled.matcher.followUp(question.text, stored.query);
    return refined && isAnswerable(semantic.model, refined) ? { query: refined, language } : null;
  }

  /** Runs a checked semantic query for the project's tenant (the server's value, never the question's). */
  async function fromSemantic(slug: string, semantic: SemanticProject, query: SemanticQuery, language: Language, metrics: AnswerMetrics): Promise<Answer> {
    const started = performance.now();
    const runQuery = async (): Promise<QueryResult> => {
      const { datos, respuesta } = await runSemanticQuery(
        deps.db,
        semantic.model,
        query,
        { tenant: semantic.tenant, now: deps.now(), timeZone: deps.timeZone },
        language,
        deps.semanticMaxValueBytes,
      );
      return { datos: { ...datos }, respuesta };
    };
    // The key holds the model version and the tenant: a new model or another tenant is another entry.
    const key = JSON.stringify(['semantic', slug, semantic.version, semantic.tenant, query, language]);
    const run = () => singleFlight(deps.db, key, runQuery);
    const result = results ? (await results.fetch(key, { context: run }))! : await run();
    return {
      fuente: 'database',
      consulta: semanticShape(query),
      call: { kind: 'semantic', query },
      respuesta: result.respuesta,
      datos: result.datos,
      metrics: { ...metrics, dbMs: elapsed(started) },
    };
  }

  /**
   * Runs the model's one query under the guard (parser, role, row-level security, timeouts,
   * row limit) and lets the model phrase the real rows. A refused query never runs; the user
   * is told it could not be answered safely.
   */
  async function answerWithGuardedSql(
    question: Question,
    messages: ChatMessage[],
    text: string,
    toolCall: ToolCall,
    engine: NonNullable<AnswererDeps['guardedSql']>,
    access: Extract<GuardedAccess, { ok: true }>,
    tenant: string,
    language: Language,
    metrics: { modelMs: number; modelTokens: number },
  ): Promise<Answer> {
    const args = runSqlArguments.safeParse(safeJson(toolCall.arguments));
    if (!args.success) return { fuente: 'openai', respuesta: CANNOT_ANSWER_SAFELY[language]('the query was malformed'), metrics };
    const started = performance.now();
    let result: GuardedSqlResult;
    try {
      result = await runGuardedSql(deps.db, {
        sql: args.data.sql,
        tenant,
        allow: access.allow,
        scoped: access.scoped,
        parser: engine.parser,
        rowLimit: engine.rowLimit,
        timeoutMs: engine.timeoutMs,
        maxCost: engine.maxCost,
        maxBytes: engine.maxBytes,
        maxValueBytes: engine.maxValueBytes,
      });
    } catch (error) {
      if (error instanceof GuardedSqlRefusal) return { fuente: 'openai', respuesta: CANNOT_ANSWER_SAFELY[language](error.reason), metrics };
      throw error;
    }
    const dbMs = elapsed(started);
    const datos = { rows: result.rows, truncated: result.truncated, ...(result.truncatedBy.length > 0 ? { truncated_by: result.truncatedBy } : {}) };
    messages.push(
      { role: 'assistant', content: text, toolCalls: [toolCall] },
      { role: 'tool', toolCallId: toolCall.id, content: JSON.stringify(datos) },
    );
    // Phrasing only: no tools, so the rows (which may hold any text) cannot trigger another query.
    const phrasingStarted = performance.now();
    const reply = await deps.model!.complete(messages, { signal: question.signal, onDelta: question.onDelta });
    metrics.modelMs += elapsed(phrasingStarted);
    metrics.modelTokens += reply.usage?.total_tokens ?? 0;
    return { fuente: 'database', consulta: RUN_SQL, sql: result.sql, datos, respuesta: reply.text, metrics: { ...metrics, dbMs } };
  }

  return async function answer(question: Question): Promise<Answer> {
    const { project } = question;
    const language = detectLanguage(question.text);
    const semantic = project.semantic;
    const compiled = semantic ? semanticFor({ slug: project.slug, semantic }) : null;

    if (semantic && compiled) {
      const found = deterministicSemantic(question, semantic, compiled, language);
      if (found) return fromSemantic(project.slug, semantic, found.query, found.language, {});
    }

    const retrievalStarted = performance.now();
    const passages = deps.knowledge ? await findPassages(deps.knowledge, project.slug, question.text, question.signal) : [];
    const retrievalMs = elapsed(retrievalStarted);
    if (!deps.model) {
      if (passages.length > 0) return passagesAnswer(passages, language, { dbMs: retrievalMs });
      throw new ModelNotConfigured('no language model is configured (set OPENAI_API_KEY)');
    }
    const messages: ChatMessage[] = [
      { role: 'system', content: `${systemPromptWithPassages(project.systemPrompt, passages)}\nAnswer in ${language === 'es' ? 'Spanish' : 'English'}.` },
      ...(question.history ?? []),
      { role: 'user', content: question.text },
    ];
    // Model-written SQL: only for a project that opted in, over what its model exposes.
    const access = compiled?.sql.ok ? compiled.sql : undefined;
    const sqlEngine = access && project.guardedSql && deps.guardedSql && !guardedSqlUnsupported(deps.db) ? deps.guardedSql : undefined;
    const tools = compiled ? [compiled.tool.spec, ...(sqlEngine && access ? [runSqlTool(sqlEngine.rowLimit, access.summary)] : [])] : undefined;
    const metrics: Required<Pick<AnswerMetrics, 'modelMs' | 'modelTokens'>> = { modelMs: 0, modelTokens: 0 };

    for (let round = 0; round < MAX_MODEL_ROUNDS; round++) {
      const started = performance.now();
      const reply = await deps.model.complete(messages, { signal: question.signal, tools, onDelta: question.onDelta });
      metrics.modelMs += elapsed(started);
      metrics.modelTokens += reply.usage?.total_tokens ?? 0;

      const [toolCall] = reply.toolCalls;
      if (!toolCall) {
        return passages.length > 0
          ? { fuente: 'documentos', respuesta: reply.text, citas: citationsFor(reply.text, passages), metrics: { ...metrics, dbMs: retrievalMs } }
          : { fuente: 'openai', respuesta: reply.text, metrics };
      }
      if (sqlEngine && access && semantic && toolCall.name === RUN_SQL) {
        return answerWithGuardedSql(question, messages, reply.text, toolCall, sqlEngine, access, semantic.tenant, language, metrics);
      }
      const checked = semantic && compiled ? parseSemanticToolCall(toolCall, semantic.model, compiled.tool) : { ok: false as const, error: `unknown tool "${toolCall.name}"` };
      if (checked.ok && semantic) return fromSemantic(project.slug, semantic, checked.query, language, metrics);
      // Tell the model what was wrong and let it try once more; nothing unvalidated runs.
      messages.push(
        { role: 'assistant', content: reply.text, toolCalls: [toolCall] },
        { role: 'tool', toolCallId: toolCall.id, content: `Error: ${checked.ok ? 'no such tool' : checked.error}. Call a tool with valid arguments, or answer in text.` },
      );
    }
    return { fuente: 'openai', respuesta: CANNOT_ANSWER[language], metrics };
  };
}

type SemanticProject = NonNullable<Project['semantic']>;

export const RUN_SQL = 'run_sql';
const runSqlArguments = z.object({ sql: z.string().min(1).max(MAX_SQL_LENGTH) });
const RUN_SQL_PARAMETERS = toolParameters(runSqlArguments);

/** The run_sql tool: its description is the project's tables as its semantic model declares them. */
function runSqlTool(rowLimit: number, summary: string): ToolSpec {
  return {
    name: RUN_SQL,
    description:
      `Run ONE read-only PostgreSQL SELECT over this project's data when no other tool fits. Only these tables and columns exist:\n${summary}\n` +
      `Only this project's rows are visible; do not filter by project or tenant. At most ${rowLimit} rows come back.`,
    parameters: RUN_SQL_PARAMETERS,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text || '{}');
  } catch {
    return undefined;
  }
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;
