/** The chat-model capability the service needs, independent of any SDK. */
export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

export type ModelAnswer = {
  text: string;
  model: string;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
};

export interface ChatModel {
  complete(messages: ChatMessage[], options?: { signal?: AbortSignal }): Promise<ModelAnswer>;
}

/** Why the model could not answer; the HTTP layer maps each kind to its status. */
export type ModelFailure = 'timeout' | 'rate_limited' | 'upstream' | 'empty' | 'circuit_open';

export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    readonly kind: ModelFailure,
    message: string,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
