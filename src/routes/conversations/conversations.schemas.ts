import { z } from '@hono/zod-openapi';
import { ProjectSlugSchema } from '../schemas.js';

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
    ).openapi({
      description:
        'At most `limite` messages after `despues`, oldest first. A page ends after the message that brings it past ' +
        'CONVERSATION_PAGE_MAX_BYTES (2 MiB by default); each message\'s `contenido` and `datos` are at most ANSWER_MAX_BYTES ' +
        '(512 KiB) each (larger stored data reads as {"truncated": true, "truncated_by": ["ANSWER_MAX_BYTES"]}), so a page is ' +
        'at most CONVERSATION_PAGE_MAX_BYTES + 2 × ANSWER_MAX_BYTES + 64 kB of text and data (before JSON escaping).',
    }),
    siguiente: z.string().nullable().openapi({ description: 'Pass as `despues` for the next page; null when this page is the last.' }),
  })
  .openapi('Conversation');

/** `?limite=`: a page size from 1 to 200. */
const pageSize = (description: string) =>
  z.coerce
    .number()
    .int('must be a whole number from 1 to 200')
    .min(1, 'must be a whole number from 1 to 200')
    .max(200, 'must be a whole number from 1 to 200')
    .optional()
    .openapi({ description });

export const ConversationPageQuerySchema = z.object({
  limite: pageSize('Messages per page (1-200, default 100).'),
  despues: z
    .string()
    .regex(/^\d{1,18}$/, 'must be the `siguiente` of a previous page')
    .optional()
    .openapi({ description: 'The previous page\'s `siguiente`: this page starts after it. Unset: the first page.' }),
});

export const ConversationListSchema = z
  .array(
    z.object({
      conversacion_id: z.string(),
      proyecto: z.string(),
      titulo: z.string().openapi({ description: 'The first question\'s first 120 characters.' }),
      actualizado: z.string().openapi({ description: 'When the conversation last changed (ISO 8601).' }),
    }),
  )
  .openapi('ConversationList');

export const ConversationListQuerySchema = z.object({
  proyecto: ProjectSlugSchema.optional(),
  limite: pageSize('Conversations per page (1-200, default 50).'),
  despues: z
    .string()
    .regex(/^\d{1,18}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be the `siguiente` of a previous page')
    .optional()
    .openapi({ description: 'The previous page\'s `siguiente` (from its `Link` or `Siguiente` header): this page starts after it. Unset: the first page.' }),
});

export const ConversationListHeadersSchema = z.object({
  Siguiente: z.string().optional().openapi({ description: 'Pass as `despues` for the next page; absent on the last page.' }),
  Link: z.string().optional().openapi({ description: 'The next page\'s address, `<…?despues=…>; rel="next"` (RFC 8288); absent on the last page.' }),
});
