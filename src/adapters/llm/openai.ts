import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { ModelError, type ChatMessage, type ChatModel } from './model.js';
import { createOpenAIClient, toModelError, type OpenAIModelOptions } from './openai-client.js';

/**
 * A ChatModel over the official `openai` SDK. Works with any OpenAI-compatible server
 * (Ollama, vLLM, …) through `baseURL`.
 */
export function createOpenAIChatModel(options: OpenAIModelOptions): ChatModel {
  const client = createOpenAIClient(options);
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
        throw toModelError(error, { model: 'the model', provider: 'the model provider' });
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
