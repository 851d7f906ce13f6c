import type { Database } from '../../adapters/db/database.js';
import { citationsFor, findPassages, passagesAnswer, systemPromptWithPassages, type Cita } from '../knowledge/answer.js';
import type { KnowledgeStore } from '../knowledge/store.js';
import { z } from 'zod';
import type { ChatMessage, ChatModel, ToolCall, ToolSpec } from '../../adapters/llm/model.js';
import { GuardedSqlRefusal, guardedSqlUnsupported, runGuardedSql, type GuardedSqlResult } from '../guarded-sql/execute.js';
import { GUARDED_SQL_ALLOW, MAX_SQL_LENGTH } from '../guarded-sql/guard.js';
import type { SqlParser } from '../guarded-sql/parser.js';
import { runCatalogueQuery, type QueryResult } from './catalogue.js';
import type { Language, QueryCall, QueryName } from './catalogue-types.js';
import { detectLanguage } from './language.js';
import { createMatcher, resolveFollowUp, type Matcher } from './matcher.js';
import type { Project } from '../projects.js';
import { catalogueTools, parseToolCall, toolParameters } from './tools.js';
import { LRUCache } from 'lru-cache';
import { ModelNotConfigured } from '../errors.js';
import { runSemanticQuery } from '../semantic-model/run.js';
import type { SemanticQuery } from '../semantic-model/schema.js';
import {
  compileSemantic,
  isAnswerable,
  isSemanticCall,
  parseSemanticToolCall,
  readStoredCall,
  semanticShape,
  type CompiledSemantic,
  type SemanticCall,
  type SemanticShape,
  type StoredCall,
} from './semantic.js';

/** Where the time went, for the request's log line. */
export type AnswerMetrics = { dbMs?: number; modelMs?: number; modelTokens?: number };

export type Answer = (
  | { fuente: 'database'; respuesta: string; consulta: QueryName; datos: Record<string, unknown>; call: QueryCall }
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
   * The query that answered the previous turn, for follow-ups, as stored (a catalogue call or a
   * semantic one, see semantic.ts); read with readStoredCall, so an unreadable row is no call.
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
  /** Built once per process or isolate (createAnswerCaches); shared by every request. */
  caches: AnswerCaches;
  /** The projects' documents; questions of a project with relevant passages are answered from them. */
  knowledge?: KnowledgeStore | undefined;
  /** Guarded model-written SQL, for projects that opt in; absent where the parser cannot run. */
  guardedSql?: { parser: SqlParser; rowLimit: number; timeoutMs: number; maxCost?: number } | undefined;
};

/** Catalogue answers kept at once when the result cache is on. */
const RESULT_CACHE_MAX = 1_000;
/** Compiled semantic models (matcher + tool) kept at once: one per (project, model version) in use. */
const SEMANTIC_CACHE_MAX = 100;

/**
 * What answering keeps between requests: the compiled matchers (one per distinct set of
 * enabled queries) and, when `resultCacheTtlMs` > 0, catalogue answers per (project, query,
 * parameters, language), bounded and expiring; concurrent misses share one query.
 */
export function createAnswerCaches({ resultCacheTtlMs }: { resultCacheTtlMs: number }) {
  const matchers = new Map<string, Matcher>();
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
    matcherFor(enabled: readonly QueryName[]): Matcher {
      const key = enabled.join(',');
      let matcher = matchers.get(key);
      if (!matcher) {
        matcher = createMatcher(enabled);
        matchers.set(key, matcher);
      }
      return matcher;
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
 * 1. a deterministic catalogue match (or a follow-up of the previous one), no model call;
 * 2. otherwise the model, offered the project's catalogue as tools: a valid tool call runs
 *    the query with the server-bound project and the answer is phrased from the real rows;
 * 3. otherwise the model's own answer, with the project's prompt and the conversation.
 */
export function createAnswerer(deps: AnswererDeps) {
  const { matcherFor, results, semanticFor } = deps.caches;
  const runQuery = async (project: string, call: QueryCall, language: Language): Promise<QueryResult> => {
    const run = () => runCatalogueQuery(call, { db: deps.db, project, now: deps.now(), timeZone: deps.timeZone }, language);
    return results ? (await results.fetch(JSON.stringify([project, call, language]), { context: run }))! : run();
  };

  async function fromDatabase(project: string, call: QueryCall, language: Language, metrics: AnswerMetrics): Promise<Answer> {
    const started = performance.now();
    const result = await runQuery(project, call, language);
    return { fuente: 'database', consulta: call.name, call, ...result, metrics: { ...metrics, dbMs: elapsed(started) } };
  }

  /** Step 1: the question itself, or a follow-up of the previous turn, in the catalogue. */
  function deterministicCall(question: Question, enabled: readonly QueryName[]): QueryCall | null {
    if (enabled.length === 0) return null;
    const match = matcherFor(enabled).match(question.text);
    if (match) return match.call;
    const previous = readStoredCall(question.previousCall);
    if (!previous || isSemanticCall(previous) || !enabled.includes(previous.name)) return null;
    return resolveFollowUp(question.text, previous);
  }

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
    if (!stored || !isSemanticCall(stored)) return null;
    // A turn answered under an older version of the model may name what no longer exists.
    if (!isAnswerable(semantic.model, stored.query)) return null;
    const refined = compiled.matcher.followUp(question.text, stored.query);
    return refined && isAnswerable(semantic.model, refined) ? { query: refined, language } : null;
  }

  /** Runs a checked semantic query for the project's tenant (the server's value, never the question's). */
  async function fromSemantic(slug: string, semantic: SemanticProject, query: SemanticQuery, language: Language, metrics: AnswerMetrics): Promise<Answer> {
    const started = performance.now();
    const run = async (): Promise<QueryResult> => {
      const { datos, respuesta } = await runSemanticQuery(
        deps.db,
        semantic.model,
        query,
        { tenant: semantic.tenant, now: deps.now(), timeZone: deps.timeZone },
        language,
      );
      return { datos: { ...datos }, respuesta };
    };
    // The same result cache as catalogue answers; the key holds the model version and the tenant.
    const key = JSON.stringify(['semantic', slug, semantic.version, semantic.tenant, query, language]);
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
    language: Language,
    metrics: { modelMs: number; modelTokens: number },
  ): Promise<Answer> {
    const args = runSqlArguments.safeParse(safeJson(toolCall.arguments));
    if (!args.success) return { fuente: 'openai', respuesta: CANNOT_ANSWER_SAFELY[language]('the query was malformed'), metrics };
    const started = performance.now();
    let result: GuardedSqlResult;
    try {
      result = await runGuardedSql(deps.db, { sql: args.data.sql, project: question.project.slug, parser: engine.parser, rowLimit: engine.rowLimit, timeoutMs: engine.timeoutMs, maxCost: engine.maxCost });
    } catch (error) {
      if (error instanceof GuardedSqlRefusal) return { fuente: 'openai', respuesta: CANNOT_ANSWER_SAFELY[language](error.reason), metrics };
      throw error;
    }
    const dbMs = elapsed(started);
    const datos = { rows: result.rows, truncated: result.truncated };
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
    const enabled = project.enabledQueries;
    const language = detectLanguage(question.text);
    const semantic = project.semantic;
    const compiled = semantic ? semanticFor({ slug: project.slug, semantic }) : null;

    if (semantic && compiled) {
      const found = deterministicSemantic(question, semantic, compiled, language);
      if (found) return fromSemantic(project.slug, semantic, found.query, found.language, {});
    } else {
      const call = deterministicCall(question, enabled);
      if (call) return fromDatabase(project.slug, call, language, {});
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
    // Guarded SQL stays off for projects with a semantic model: its allow-list and row-level
    // security policy are still the demo catalogue's tables, not the model's.
    const sqlEngine = !semantic && project.guardedSql && deps.guardedSql && !guardedSqlUnsupported(deps.db) ? deps.guardedSql : undefined;
    const allTools = compiled
      ? [compiled.tool.spec]
      : [...catalogueTools(enabled), ...(sqlEngine ? [runSqlTool(sqlEngine.rowLimit)] : [])];
    const tools = allTools.length > 0 ? allTools : undefined;
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
      if (sqlEngine && toolCall.name === RUN_SQL) {
        return answerWithGuardedSql(question, messages, reply.text, toolCall, sqlEngine, language, metrics);
      }
      let parsed: { ok: true; run: () => Promise<Answer> } | { ok: false; error: string };
      if (semantic && compiled) {
        const checked = parseSemanticToolCall(toolCall, semantic.model, compiled.tool);
        parsed = checked.ok ? { ok: true, run: () => fromSemantic(project.slug, semantic, checked.query, language, metrics) } : checked;
      } else {
        const checked = parseToolCall(toolCall, enabled);
        parsed = checked.ok ? { ok: true, run: () => fromDatabase(project.slug, checked.call, language, metrics) } : checked;
      }
      if (parsed.ok) return parsed.run();
      // Tell the model what was wrong and let it try once more; nothing unvalidated runs.
      messages.push(
        { role: 'assistant', content: reply.text, toolCalls: [toolCall] },
        { role: 'tool', toolCallId: toolCall.id, content: `Error: ${parsed.error}. Call a tool with valid arguments, or answer in text.` },
      );
    }
    return { fuente: 'openai', respuesta: CANNOT_ANSWER[language], metrics };
  };
}

type SemanticProject = NonNullable<Project['semantic']>;

export const RUN_SQL = 'run_sql';
const runSqlArguments = z.object({ sql: z.string().min(1).max(MAX_SQL_LENGTH) });

function runSqlTool(rowLimit: number): ToolSpec {
  const columns = Object.entries(GUARDED_SQL_ALLOW.tables).map(([table, cols]) => `${table}(${cols.join(', ')})`).join('; ');
  return {
    name: RUN_SQL,
    description:
      `Run ONE read-only PostgreSQL SELECT over this project's data when no other tool fits. Tables: ${columns}. ` +
      'status is one of pending, shipped, delivered, cancelled; amount is numeric; created_at is a timestamptz. ' +
      `Only this project's rows are visible; do not filter by project. At most ${rowLimit} rows come back.`,
    parameters: toolParameters(runSqlArguments),
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
