import { z } from '@hono/zod-openapi';
import { ProjectSlugSchema, UNSTORABLE_TEXT } from '../schemas.js';

/** Characters of `contenido`; the whole JSON body is also limited to 32 KiB (UTF-8 bytes, → 413). */
export const MAX_DOCUMENT_CHARS = 30_000;
export const MAX_TITLE_CHARS = 200;

/** Control characters other than tab, line feed and carriage return: a binary file, not text. */
const BINARY = /[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

const text = (max: number, what: string) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !UNSTORABLE_TEXT.test(value), 'must be valid Unicode text without NUL characters')
    .refine((value) => !BINARY.test(value), `must be ${what} text, not a binary file (no control characters)`);

export const DocumentUploadSchema = z
  .object({
    titulo: text(MAX_TITLE_CHARS, 'plain').openapi({ description: `The document's title (1..${MAX_TITLE_CHARS} characters).`, example: 'Glosario logístico' }),
    contenido: text(MAX_DOCUMENT_CHARS, 'Markdown or plain').openapi({
      description:
        `The document's text, Markdown or plain (1..${MAX_DOCUMENT_CHARS} characters after trimming; ` +
        'the whole JSON body must also fit in 32 KiB of UTF-8). It is split into passages of about 800 characters.',
      example: '# Orden inbound\n\nUna orden inbound es la entrada de mercancía al almacén…',
    }),
    tipo: z
      .enum(['text/markdown', 'text/plain'], { error: 'must be "text/markdown" or "text/plain"' })
      .openapi({ description: 'Media type of `contenido`.' }),
  })
  .openapi('DocumentUpload');

export const DocumentSchema = z
  .object({
    id: z.string().openapi({ description: 'Document id (UUID).' }),
    titulo: z.string(),
    tipo: z.enum(['text/markdown', 'text/plain']),
    tamano_bytes: z.number().int().openapi({ description: 'Size of `contenido` in UTF-8 bytes.' }),
    fragmentos: z.number().int().openapi({ description: 'Passages the document was split into.' }),
    creado_por: z.string().openapi({ description: 'User id of the uploader.' }),
    creado: z.string().openapi({ description: 'Upload time (ISO 8601).' }),
  })
  .openapi('Document');

export const projectParam = z.object({
  proyecto: ProjectSlugSchema.openapi({ param: { name: 'proyecto', in: 'path' }, example: 'conocimiento_general' }),
});
export const documentParam = projectParam.extend({
  id: z.uuid('must be a document id').openapi({ param: { name: 'id', in: 'path' } }),
});
