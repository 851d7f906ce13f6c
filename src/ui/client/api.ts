// Type-only imports: the page's view of the API comes from the routes' own schemas and adds
// nothing to the bundle.
import type { z } from '@hono/zod-openapi';
import type { ChatRequestSchema, ChatResponseSchema } from '../../routes/chat/chat.schemas.js';
import type { ConversationListSchema, ConversationSchema } from '../../routes/conversations/conversations.schemas.js';
import type { ProjectListSchema } from '../../routes/projects/projects.routes.js';
import type { ProblemSchema } from '../../routes/schemas.js';

export type ChatRequest = z.input<typeof ChatRequestSchema>;
export type ChatResponse = z.output<typeof ChatResponseSchema>;
export type Citation = NonNullable<ChatResponse['citas']>[number];
export type Problem = z.output<typeof ProblemSchema>;
export type ProjectList = z.output<typeof ProjectListSchema>;
export type ConversationList = z.output<typeof ConversationListSchema>;
export type Conversation = z.output<typeof ConversationSchema>;
/** The data of a streamed answer's `delta` event. */
export type Delta = { texto: string };

/** A failed response's problem (type, detail, request id), or just its status when the body is not a problem. */
export async function readProblem(response: Response): Promise<Partial<Problem>> {
  try {
    return (await response.json()) as Partial<Problem>;
  } catch {
    return { status: response.status, detail: 'HTTP ' + response.status };
  }
}

/**
 * A stored conversation with every message: its first page, then each next one (`siguiente`)
 * in turn, each page bounded by the server. The first failed response is returned as it came.
 */
export async function readConversation(get: (path: string) => Promise<Response>, id: string): Promise<Conversation | Response> {
  const path = '/api/v1/conversaciones/' + encodeURIComponent(id);
  let response = await get(path);
  if (!response.ok) return response;
  const whole = (await response.json()) as Conversation;
  for (let next = whole.siguiente; next; ) {
    response = await get(path + '?despues=' + encodeURIComponent(next));
    if (!response.ok) return response;
    const page = (await response.json()) as Conversation;
    whole.mensajes.push(...page.mensajes);
    next = page.siguiente;
  }
  whole.siguiente = null;
  return whole;
}
