import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ModelError, type ChatModel } from './model.js';

export type OpenAIModelOptions = {
  apiKey: string;
  baseURL?: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  fetch?: typeof fetch;
};

/**
 * A ChatModel over the official `openai` SDK. Works with any OpenAI-compatible server
 * (Ollama, vLLM, …) through `baseURL`. Settings are passed explicitly: the SDK's own
 * environment lookup only sees process.env, which Workers do not have.
 */
export function createOpenAIChatModel(options: OpenAIModelOptions): ChatModel {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    async complete(messages, { signal } = {}) {
      try {
        const completion = await client.chat.completions.create(
          { model: options.model, messages },
          signal ? { signal } : undefined,
        );
        const text = completion.choices[0]?.message?.content?.trim();
        if (!text) throw new ModelError('empty', 'the model returned an empty answer');
        return {
          text,
          model: completion.model || options.model,
          ...(completion.usage
            ? {
                usage: {
                  prompt_tokens: completion.usage.prompt_tokens,
                  completion_tokens: completion.usage.completion_tokens,
                  total_tokens: completion.usage.total_tokens,
                },
              }
            : {}),
        };
      } catch (error) {
        throw toModelError(error);
      }
    },
  };
}

function toModelError(error: unknown): unknown {
  // Our own abort (client gone, request deadline) is not the provider's failure.
  if (error instanceof ModelError || error instanceof APIUserAbortError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new ModelError('timeout', 'the model did not answer in time', undefined, { cause: error });
  }
  if (error instanceof APIError) {
    if (error.status === 429) {
      return new ModelError('rate_limited', 'the model provider is rate limiting requests', retryAfter(error.headers), {
        cause: error,
      });
    }
    const status = error.status === undefined ? 'no response' : `HTTP ${error.status}`;
    return new ModelError('upstream', `the model provider failed (${status})`, undefined, { cause: error });
  }
  return error;
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
