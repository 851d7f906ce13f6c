import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ModelError } from './model.js';

/** Turns texts into vectors, one per text, in order; independent of any SDK. */
export interface EmbeddingModel {
  embed(texts: readonly string[], options?: { signal?: AbortSignal | undefined }): Promise<number[][]>;
}

export type OpenAIEmbeddingOptions = {
  apiKey: string;
  baseURL?: string | undefined;
  /** e.g. text-embedding-3-small; any OpenAI-compatible server's embedding model. */
  model: string;
  timeoutMs: number;
  maxRetries: number;
  fetch?: typeof fetch;
};

/** Texts per request: the OpenAI API takes up to 2048 inputs; smaller batches fail less. */
const BATCH = 96;

/**
 * Embeddings over the official `openai` SDK (POST /embeddings), with the same apiKey/baseURL
 * settings as the chat model. Failures surface as ModelError like the chat model's.
 */
export function createOpenAIEmbeddingModel(options: OpenAIEmbeddingOptions): EmbeddingModel {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    async embed(texts, { signal } = {}) {
      const vectors: number[][] = [];
      try {
        for (let start = 0; start < texts.length; start += BATCH) {
          const input = texts.slice(start, start + BATCH);
          const response = await client.embeddings.create(
            { model: options.model, input, encoding_format: 'float' },
            signal ? { signal } : undefined,
          );
          const batch = [...response.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
          if (batch.length !== input.length || batch.some((v) => !Array.isArray(v) || v.length === 0)) {
            throw new ModelError('empty', 'the embedding model returned no vectors');
          }
          vectors.push(...batch);
        }
        return vectors;
      } catch (error) {
        if (error instanceof ModelError || error instanceof APIUserAbortError) throw error;
        if (error instanceof APIConnectionTimeoutError) throw new ModelError('timeout', 'the embedding model did not answer in time', undefined, { cause: error });
        if (error instanceof APIError) {
          if (error.status === 429) throw new ModelError('rate_limited', 'the embedding provider is rate limiting requests', undefined, { cause: error });
          const status = error.status === undefined ? 'no response' : `HTTP ${error.status}`;
          throw new ModelError('upstream', `the embedding provider failed (${status})`, undefined, { cause: error });
        }
        throw error;
      }
    },
  };
}
