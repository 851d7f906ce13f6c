import { z } from '@hono/zod-openapi';
import { ProjectSlugSchema, UNSTORABLE_TEXT } from '../schemas.js';

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
    proyecto: ProjectSlugSchema.openapi({ description: 'The project (tenant) whose data answers the question.', example: 'dashboard_miempresa' }),
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
    consulta: z.string().optional().openapi({
      description:
        'What produced a "database" answer: the shape of the query of the project\'s semantic model — "aggregate" ' +
        '(one number), "breakdown" (per value of a dimension), "top" (first N values by the measure), "series" ' +
        '(per time bucket), "latest" (newest rows) — or "run_sql" (a model-written query that passed the guard).',
    }),
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
