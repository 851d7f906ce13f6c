import type { Answer, Question } from './answer.js';
import type { ConversationStore, OpenedTurn } from '../conversations.js';
import type { Project, ProjectDirectory, ProjectLookup } from '../projects.js';

export type AskInput = {
  text: string;
  /** The verified user (from the access token). */
  userId: string;
  project: string;
  /** Continue this conversation; omitted: a new one. */
  conversationId?: string | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Aborts when the client is told the request failed before its answer was sent (the request
   * deadline's 504), its reason being the error the client got: that is the turn's outcome,
   * even when the answer was stored a moment before.
   */
  told?: AbortSignal | undefined;
  /** Receives the model's text as it streams. */
  onDelta?: ((text: string) => void) | undefined;
  /**
   * Runs once the user may use the project and before anything is stored or answered: the
   * per-project rate limit, which must not count requests that were refused anyway.
   */
  admit?: ((project: Project) => Promise<void>) | undefined;
};

export type AskResult = {
  answer: Answer;
  project: Project;
  conversationId: string;
  /** For the request's log line. */
  lookup: { ms: number; cache: ProjectLookup['cache'] };
};

export type ChatServiceDeps = {
  projects: ProjectDirectory;
  conversations: ConversationStore;
  answer: (question: Question) => Promise<Answer>;
  /** What the client is told about a failure, stored with the failed turn. */
  describeFailure: (error: unknown) => string;
};

/**
 * Asking a question in a project: access, conversation memory, the answer. The question is
 * stored before the answer (or the failure) is, so no turn is lost, and it is written while the
 * answer is worked out. The turn's outcome is what the client was told.
 */
export function createChatService(deps: ChatServiceDeps) {
  async function conversationFor(input: AskInput, project: Project): Promise<OpenedTurn> {
    if (input.conversationId) return deps.conversations.resume(input.text, input.userId, project.slug, input.conversationId);
    return deps.conversations.startNew(input.text, input.userId, project.slug);
  }

  return {
    async ask(input: AskInput): Promise<AskResult> {
      const lookupStarted = performance.now();
      const { project, cache } = await deps.projects.usableBy(input.project, input.userId);
      const lookup = { ms: performance.now() - lookupStarted, cache };
      await input.admit?.(project);
      const { told } = input;
      if (told?.aborted) throw told.reason; // the client has been answered already: nothing to store

      const { context, turn, stored } = await conversationFor(input, project);
      stored.catch(() => {}); // awaited below; this only keeps an early failure from being unhandled
      const recordFailure = (error: unknown) =>
        stored.then(() => deps.conversations.recordFailure(turn, deps.describeFailure(error))).catch(() => {});
      // Not removed when this returns: the 504 may still win the race to the client after the
      // answer is stored, and then it is the outcome. The signal lives as long as the request.
      if (told) {
        if (told.aborted) void recordFailure(told.reason);
        else told.addEventListener('abort', () => void recordFailure(told.reason), { once: true });
      }
      try {
        const answered = await deps.answer({
          text: input.text,
          project,
          history: context.history,
          previousCall: context.previousCall,
          signal: input.signal,
          onDelta: input.onDelta,
        });
        await stored;
        // The client is told exactly what the conversation keeps (within ANSWER_MAX_BYTES).
        const answer = await deps.conversations.recordAnswer(turn, answered);
        return { answer, project, conversationId: context.id, lookup };
      } catch (error) {
        if (!told?.aborted) await recordFailure(error); // else the listener above records what the client was told
        throw error;
      }
    },
  };
}

export type ChatService = ReturnType<typeof createChatService>;
