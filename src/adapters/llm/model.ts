/** The chat-model capability the service needs, independent of any SDK. */

/** A function the model may call (query_data, run_sql), described by a JSON schema from zod. */
export type ToolSpec = { name: string; description: string; parameters: Record<string, unknown> };

/** A call the model asked for; `arguments` is the model's raw JSON text, not yet trusted. */
export type ToolCall = { id: string; name: string; arguments: string };

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export type ModelAnswer = {
  text: string;
  toolCalls: ToolCall[];
  model: string;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
};

export type CompleteOptions = {
  signal?: AbortSignal | undefined;
  tools?: ToolSpec[] | undefined;
  /** When given, the answer is streamed and each piece of text is passed here as it arrives. */
  onDelta?: ((text: string) => void) | undefined;
};

export interface ChatModel {
  complete(messages: ChatMessage[], options?: CompleteOptions): Promise<ModelAnswer>;
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
