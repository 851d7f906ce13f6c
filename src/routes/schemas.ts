import { z } from '@hono/zod-openapi';

export const PROJECT_SLUG = /^[A-Za-z0-9_-]{1,64}$/;
/** Text PostgreSQL cannot store: NUL, or an unpaired UTF-16 surrogate. */
export const UNSTORABLE_TEXT = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/;

export const ChatRequestSchema = z
  .object({
    mensaje: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(4000, 'must be at most 4000 characters')
      // It is stored: PostgreSQL text holds neither NUL nor unpaired UTF-16 surrogates.
      .refine((text) => !UNSTORABLE_TEXT.test(text), 'must be valid Unicode text without NUL characters')
      .openapi({ description: 'The question, in Spanish or English (1..4000 characters after trimming).' }),
    usuario_id: z
      .union([z.string().trim().min(1).max(128), z.number().int()])
      .transform(String)
      .openapi({
        description: "The caller's user id; must equal the token's user claim (compared as a string).",
        example: '1',
      }),
    proyecto: z
      .string()
      .regex(PROJECT_SLUG, 'must be 1..64 letters, digits, "_" or "-"')
      .openapi({ description: 'The project (tenant) whose data answers the question.', example: 'dashboard_miempresa' }),
    conversacion_id: z
      .uuid('must be a conversation id returned by an earlier answer')
      .optional()
      .openapi({ description: 'Continue this conversation (yours, in this project); omit to start a new one.' }),
  })
  .openapi('ChatRequest');

export type ChatRequest = z.output<typeof ChatRequestSchema>;

export const ChatResponseSchema = z
  .object({
    respuesta: z.string().openapi({ description: 'The answer, in the language of the question.' }),
    fuente: z
      .enum(['database', 'openai', 'documentos'])
      .openapi({
        description:
          '"database": computed from the project\'s data; "openai": written by the language model; "documentos": from the project\'s documents (see `citas`).',
      }),
    proyecto: z.string(),
    datos: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'Structured result of the database query, e.g. {"count": 8333} or {"rows": [...]}.' }),
    consulta: z.string().optional().openapi({ description: 'Name of the catalogue query that produced the answer.' }),
    citas: z
      .array(
        z.object({
          documento: z.string().openapi({ description: 'Document id.' }),
          titulo: z.string(),
          fragmento: z.string().openapi({ description: 'The cited passage.' }),
        }),
      )
      .optional()
      .openapi({ description: 'With fuente "documentos": the passages the answer is based on.' }),
    sql: z.string().optional().openapi({ description: 'With consulta "run_sql": the model-written statement that passed the guard and ran.' }),
    conversacion_id: z.string().openapi({ description: 'The conversation this turn belongs to; send it back to continue.' }),
    request_id: z.string(),
  })
  .openapi('ChatResponse');

export type ChatResponse = z.infer<typeof ChatResponseSchema>;

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:chat-api:problem:invalid-request' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details.' });

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
