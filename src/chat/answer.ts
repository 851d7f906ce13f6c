import type { Database } from '../db/database.js';
import type { ChatModel } from '../llm/model.js';
import { runCatalogueQuery } from './catalogue.js';
import type { QueryName } from './catalogue-types.js';
import { detectLanguage } from './language.js';
import { createMatcher, type Matcher } from './matcher.js';
import type { Project } from './projects.js';

export type Answer =
  | { fuente: 'database'; respuesta: string; consulta: QueryName; datos: Record<string, unknown> }
  | { fuente: 'openai'; respuesta: string };

/** The model path was needed but no model is configured (→ 503). */
export class ModelNotConfigured extends Error {
  override name = 'ModelNotConfigured';
}

export type AnswererDeps = {
  db: Database;
  model: ChatModel | null;
  now: () => Date;
  timeZone: string;
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

  return async function answer(question: string, project: Project, signal?: AbortSignal): Promise<Answer> {
    const match = project.enabledQueries.length > 0 ? matcherFor(project.enabledQueries).match(question) : null;
    if (match) {
      const result = await runCatalogueQuery(
        match.call,
        { db: deps.db, project: project.slug, now: deps.now(), timeZone: deps.timeZone },
        match.language,
      );
      return { fuente: 'database', consulta: match.call.name, ...result };
    }
    if (!deps.model) throw new ModelNotConfigured('no language model is configured (set OPENAI_API_KEY)');
    const language = detectLanguage(question) === 'es' ? 'Spanish' : 'English';
    const reply = await deps.model.complete(
      [
        { role: 'system', content: `${project.systemPrompt}\nAnswer in ${language}.` },
        { role: 'user', content: question },
      ],
      signal ? { signal } : {},
    );
    return { fuente: 'openai', respuesta: reply.text };
  };
}
