import { createAnswerCaches, createAnswerer } from './chat/answer.js';
import { createConversationStore, createPurgeSchedule } from './conversations.js';
import type { Config } from '../config.js';
import type { Database } from '../adapters/db/database.js';
import { createKnowledgeFacts, createKnowledgeStore } from './knowledge/store.js';
import type { EmbeddingModel } from '../adapters/llm/embeddings.js';
import type { ChatModel } from '../adapters/llm/model.js';
import type { SqlParser, SqlParserLoader } from './guarded-sql/parser.js';
import { createChatService } from './chat/ask.js';
import { createDocumentService } from './documents.js';
import { createProjectCache, createProjectDirectory } from './projects.js';
import { createProjectListing } from './project-listing.js';
import { serviceTables } from '../adapters/db/tables.js';

export type ContainerDeps = {
  config: Config;
  model: ChatModel | null;
  embeddings: EmbeddingModel | null;
  /** PostgreSQL's parser for guarded model-written SQL, or a loader for one (see below); absent: the feature is off. */
  sqlParser?: SqlParser | SqlParserLoader | undefined;
  now: () => Date;
  /** What a failure is called where it is stored with its conversation (the problem type the client got). */
  describeFailure: (error: unknown) => string;
  /** What a turn left without an outcome past the request deadline is recorded as (the deadline's problem type). */
  unfinishedTurnFailure: string;
};

/**
 * Builds what lives as long as the process or Worker isolate — caches, compiled matchers, the
 * purge schedule, schema facts — once, and binds the services to a database: once for the
 * process-wide pool (Node, Bun, Deno), or per request on Workers, where every request has its
 * own connection. Binding only makes closures; the state above is shared either way.
 */
export function createServiceContainer(deps: ContainerDeps) {
  const { config, now } = deps;
  const tables = serviceTables(config.DATABASE_SCHEMA);
  const projectCache = createProjectCache(config.PROJECT_CACHE_TTL_MS, tables);
  const answerCaches = createAnswerCaches({ resultCacheTtlMs: config.RESULT_CACHE_TTL_MS });
  const purge = createPurgeSchedule();
  const knowledgeFacts = createKnowledgeFacts();
  const guardedSqlWith = (parser: SqlParser) => ({
    parser,
    rowLimit: config.GUARDED_SQL_ROW_LIMIT,
    timeoutMs: config.GUARDED_SQL_TIMEOUT_MS,
    maxCost: config.GUARDED_SQL_MAX_COST,
    maxBytes: config.GUARDED_SQL_MAX_BYTES,
    maxValueBytes: config.GUARDED_SQL_MAX_VALUE_BYTES,
  });
  const { sqlParser } = deps;

  return function forDatabase(db: Database) {
    const projects = createProjectDirectory(db, projectCache, tables);
    const knowledge = createKnowledgeStore({ db, tables, embeddings: deps.embeddings, facts: knowledgeFacts, maxDocuments: config.DOCUMENTS_MAX_PER_PROJECT });
    const conversations = createConversationStore(db, {
      tables,
      historyTurns: config.CONVERSATION_HISTORY_TURNS,
      retentionDays: config.CONVERSATION_RETENTION_DAYS,
      historyMaxBytes: config.CONVERSATION_HISTORY_MAX_BYTES,
      answerMaxBytes: config.ANSWER_MAX_BYTES,
      pageMaxBytes: config.CONVERSATION_PAGE_MAX_BYTES,
      unfinished: { afterMs: config.REQUEST_TIMEOUT_MS, failure: deps.unfinishedTurnFailure },
      now,
      purge,
    });
    const answererWith = (guardedSql: ReturnType<typeof guardedSqlWith> | undefined) =>
      createAnswerer({
        db, model: deps.model, now, timeZone: config.APP_TIMEZONE, semanticMaxValueBytes: config.SEMANTIC_MAX_VALUE_BYTES, caches: answerCaches, knowledge, guardedSql,
      });
    const answer = typeof sqlParser === 'function' ? loadingParser(sqlParser, answererWith, guardedSqlWith) : answererWith(sqlParser && guardedSqlWith(sqlParser));
    return {
      db,
      tables,
      projects,
      projectListing: createProjectListing(projects),
      conversations,
      chat: createChatService({ projects, conversations, answer, describeFailure: deps.describeFailure }),
      documents: createDocumentService({
        projects,
        knowledge,
        adminUserIds: config.DOCUMENT_ADMIN_USER_IDS,
        adminClaim: config.DOCUMENT_ADMIN_CLAIM,
      }),
    };
  };
}

export type Services = ReturnType<ReturnType<typeof createServiceContainer>>;

type Answerer = ReturnType<typeof createAnswerer>;

/**
 * Answers with a parser that loads on first use (the Worker's parser is a module of its own,
 * about 1.7 MB of WebAssembly): a question for a project with guarded SQL waits for the loader
 * (which loads once and shares the result), then gets model-written SQL; every other question
 * never touches it. When the load fails (the loader logs why), that question is answered as
 * without a parser, with the query_data tool only, and the next one tries again.
 */
function loadingParser<G>(
  load: SqlParserLoader,
  answererWith: (guardedSql: G | undefined) => Answerer,
  guardedSqlWith: (parser: SqlParser) => G,
): Answerer {
  const withoutSql = answererWith(undefined);
  let withSql: { parser: SqlParser; answer: Answerer } | undefined;
  return async (question) => {
    if (!question.project.guardedSql) return withoutSql(question);
    const parser = await load().catch(() => undefined);
    if (!parser) return withoutSql(question);
    if (withSql?.parser !== parser) withSql = { parser, answer: answererWith(guardedSqlWith(parser)) };
    return withSql.answer(question);
  };
}
