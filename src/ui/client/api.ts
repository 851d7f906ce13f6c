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

/** A problem's message, or the status when the body is not a problem. */
export async function problemText(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as Partial<Problem>;
    return problem.detail || problem.title || 'HTTP ' + response.status;
  } catch {
    return 'HTTP ' + response.status;
  }
}
