import { createRouter } from '../router.js';
import { listConversations, readConversation } from './conversations.handlers.js';
import { listConversationsRoute, readConversationRoute } from './conversations.routes.js';

export const conversationsRouter = createRouter()
  .openapi(listConversationsRoute, listConversations)
  .openapi(readConversationRoute, readConversation);
