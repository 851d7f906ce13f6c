import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { ModelError, type ChatMessage, type ChatModel } from './model.js';

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
    async complete(messages, { signal, tools, onDelta } = {}) {
      const params = {
        model: options.model,
        messages: messages.map(toOpenAIMessage),
        ...(tools && tools.length > 0
          ? { tools: tools.map((tool) => ({ type: 'function' as const, function: tool })) }
          : {}),
      };
      const requestOptions = signal ? { signal } : undefined;
      try {
        let completion: ChatCompletion;
        if (onDelta) {
          // The SDK's stream helper assembles tool-call fragments and usage for us.
          const stream = client.chat.completions.stream({ ...params, stream_options: { include_usage: true } }, requestOptions);
          stream.on('content', (delta) => onDelta(delta));
          completion = await stream.finalChatCompletion();
        } else {
          completion = await client.chat.completions.create(params, requestOptions);
        }
        const message = completion.choices[0]?.message;
        const text = message?.content?.trim() ?? '';
        const toolCalls = (message?.tool_calls ?? []).flatMap((call) =>
          call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
        );
        if (!text && toolCalls.length === 0) throw new ModelError('empty', 'the model returned an empty answer');
        return {
          text,
          toolCalls,
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

function toOpenAIMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      };
    default:
      return { role: message.role, content: message.content };
  }
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
