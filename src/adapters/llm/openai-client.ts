import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ModelError } from './model.js';

/** Settings of one model on an OpenAI-compatible server (chat or embeddings). */
export type OpenAIModelOptions = {
  apiKey: string;
  baseURL?: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  fetch?: typeof fetch;
};

/**
 * The official SDK client. Settings are passed explicitly: the SDK's own environment
 * lookup only sees process.env, which Workers do not have.
 */
export function createOpenAIClient(options: OpenAIModelOptions): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/**
 * An SDK failure as a ModelError the HTTP layer maps to a status; `model` and `provider`
 * name what failed in the message ("the model", "the embedding provider", …).
 */
export function toModelError(error: unknown, names: { model: string; provider: string }): unknown {
  // Our own abort (client gone, request deadline) is not the provider's failure.
  if (error instanceof ModelError || error instanceof APIUserAbortError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new ModelError('timeout', `${names.model} did not answer in time`, undefined, { cause: error });
  }
  if (error instanceof APIError) {
    if (error.status === 429) {
      return new ModelError('rate_limited', `${names.provider} is rate limiting requests`, retryAfter(error.headers), { cause: error });
    }
    const status = error.status === undefined ? 'no response' : `HTTP ${error.status}`;
    return new ModelError('upstream', `${names.provider} failed (${status})`, undefined, { cause: error });
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
