import type { RouteConfigToEnv, RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import type { listConversationsRoute, readConversationRoute } from './conversations.routes.js';

type Handler<R extends typeof listConversationsRoute | typeof readConversationRoute> = RouteHandler<R, AppEnv & RouteConfigToEnv<R>>;

/** GET /api/v1/conversaciones */
export const listConversations: Handler<typeof listConversationsRoute> = async (c) => {
  const { proyecto, limite, despues } = c.req.valid('query');
  const { conversations, next } = await c.var.services.conversations.list(c.var.user.id, proyecto, { limit: limite, after: despues });
  if (next) {
    // The body stays the bare array existing clients read; where the next page starts goes in headers.
    const query = new URLSearchParams({ ...(proyecto ? { proyecto } : {}), ...(limite ? { limite: String(limite) } : {}), despues: next });
    c.header('Siguiente', next);
    c.header('Link', `</api/v1/conversaciones?${query}>; rel="next"`);
  }
  return c.json(
    conversations.map((conversation) => ({
      conversacion_id: conversation.id,
      proyecto: conversation.project,
      titulo: conversation.title,
      actualizado: conversation.updatedAt.toISOString(),
    })),
    200,
  );
};

/** GET /api/v1/conversaciones/{id} */
export const readConversation: Handler<typeof readConversationRoute> = async (c) => {
  const { id } = c.req.valid('param');
  const { limite, despues } = c.req.valid('query');
  const conversation = await c.var.services.conversations.read(id, c.var.user.id, { limit: limite, after: despues });
  return c.json(
    {
      conversacion_id: conversation.id,
      proyecto: conversation.project,
      mensajes: conversation.messages.map((message) => ({
        rol: message.role,
        contenido: message.content,
        ...(message.source ? { fuente: message.source } : {}),
        ...(message.query ? { consulta: message.query } : {}),
        ...(message.data ? { datos: message.data } : {}),
        ...(message.error ? { error: message.error } : {}),
        creado: message.createdAt.toISOString(),
      })),
      siguiente: conversation.next,
    },
    200,
  );
};
