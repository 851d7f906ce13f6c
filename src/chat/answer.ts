import type { Database } from '../db/database.js';
import type { ChatModel } from '../llm/model.js';
import { runCatalogueQuery, type QueryResult } from './catalogue.js';
import type { QueryName } from './catalogue-types.js';
import { detectLanguage } from './language.js';
import { createMatcher, type Matcher, type MatchResult } from './matcher.js';
import { createTtlCache } from './ttl-cache.js';
import type { Project } from './projects.js';

/** Where the time went, for the request's log line. */
export type AnswerMetrics = { dbMs?: number; modelMs?: number; modelTokens?: number };

export type Answer = (
  | { fuente: 'database'; respuesta: string; consulta: QueryName; datos: Record<string, unknown> }
  | { fuente: 'openai'; respuesta: string }
) & { metrics: AnswerMetrics };

/** The model path was needed but no model is configured (→ 503). */
export class ModelNotConfigured extends Error {
  override name = 'ModelNotConfigured';
}

export type AnswererDeps = {
  db: Database;
  model: ChatModel | null;
  now: () => Date;
  timeZone: string;
  /** Catalogue answers are reused for this long per (project, query, parameters, language); 0 = off. */
  resultCacheTtlMs?: number;
};

/**
 * Answers a question within one project: a deterministic catalogue match first (no model
 * call), otherwise the project's model prompt. The project is always the verified one.
 */
export function createAnswerer(deps: AnswererDeps) {
  // One compiled matcher per distinct set of enabled queries, built on first use.
  const matchers = new Map<string, Matcher>();
  const matcherFor = (enabled: readonly QueryName[]) => {
    const key = enabled.join(',');
    let matcher = matchers.get(key);
    if (!matcher) {
      matcher = createMatcher(enabled);
      matchers.set(key, matcher);
    }
    return matcher;
  };

  const results = deps.resultCacheTtlMs ? createTtlCache<QueryResult>(deps.resultCacheTtlMs) : null;
  const runQuery = (project: string, match: MatchResult): Promise<QueryResult> => {
    const run = () =>
      runCatalogueQuery(match.call, { db: deps.db, project, now: deps.now(), timeZone: deps.timeZone }, match.language);
    return results ? results.get(JSON.stringify([project, match.call, match.language]), run) : run();
  };

  return async function answer(question: string, project: Project, signal?: AbortSignal): Promise<Answer> {
    const match = project.enabledQueries.length > 0 ? matcherFor(project.enabledQueries).match(question) : null;
    if (match) {
      const started = performance.now();
      const result = await runQuery(project.slug, match);
      return { fuente: 'database', consulta: match.call.name, ...result, metrics: { dbMs: elapsed(started) } };
    }
    if (!deps.model) throw new ModelNotConfigured('no language model is configured (set OPENAI_API_KEY)');
    const language = detectLanguage(question) === 'es' ? 'Spanish' : 'English';
    const started = performance.now();
    const reply = await deps.model.complete(
      [
        { role: 'system', content: `${project.systemPrompt}\nAnswer in ${language}.` },
        { role: 'user', content: question },
      ],
      signal ? { signal } : {},
    );
    return {
      fuente: 'openai',
      respuesta: reply.text,
      metrics: { modelMs: elapsed(started), ...(reply.usage ? { modelTokens: reply.usage.total_tokens } : {}) },
    };
  };
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;
