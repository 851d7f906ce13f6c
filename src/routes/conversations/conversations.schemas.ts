import { z } from '@hono/zod-openapi';

export const ConversationSchema = z
  .object({
    conversacion_id: z.string(),
    proyecto: z.string(),
    mensajes: z.array(
      z.object({
        rol: z.enum(['user', 'assistant']),
        contenido: z.string(),
        fuente: z.string().optional(),
        consulta: z.string().optional(),
        datos: z.record(z.string(), z.unknown()).optional(),
        error: z.string().optional().openapi({ description: 'Set when answering this turn failed: the problem type.' }),
        creado: z.string(),
      }),
    ),
  })
  .openapi('Conversation');

export const ConversationListSchema = z
  .array(
    z.object({
      conversacion_id: z.string(),
      proyecto: z.string(),
      titulo: z.string().openapi({ description: 'The first question (at most 120 characters).' }),
      actualizado: z.string().openapi({ description: 'When the conversation last changed (ISO 8601).' }),
    }),
  )
  .openapi('ConversationList');
