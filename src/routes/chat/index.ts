import { createRouter } from '../router.js';
import { chat } from './chat.handlers.js';
import { chatRoute } from './chat.routes.js';

export const chatRouter = createRouter().openapi(chatRoute, chat);
