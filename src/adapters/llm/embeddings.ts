import { ModelError } from './model.js';
import { createOpenAIClient, toModelError, type OpenAIModelOptions } from './openai-client.js';

/** Turns texts into vectors, one per text, in order; independent of any SDK. */
export interface EmbeddingModel {
  embed(texts: readonly string[], options?: { signal?: AbortSignal | undefined }): Promise<number[][]>;
}

/** Texts per request: the OpenAI API takes up to 2048 inputs; smaller batches fail less. */
const BATCH = 96;

/**
 * Embeddings over the official `openai` SDK (POST /embeddings), with the same apiKey/baseURL
 * settings as the chat model (`model`: e.g. text-embedding-3-small). Failures surface as
 * ModelError like the chat model's.
 */
export function createOpenAIEmbeddingModel(options: OpenAIModelOptions): EmbeddingModel {
  const client = createOpenAIClient(options);
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
        throw toModelError(error, { model: 'the embedding model', provider: 'the embedding provider' });
      }
    },
  };
}
