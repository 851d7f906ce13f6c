import { z } from '@hono/zod-openapi';

const PROJECT_SLUG = /^[A-Za-z0-9_-]{1,64}$/;

/** A project's name (its slug), the one rule wherever a project is named. */
export const ProjectSlugSchema = z.string().regex(PROJECT_SLUG, 'must be 1..64 letters, digits, "_" or "-"');

/** Text PostgreSQL cannot store: NUL, or an unpaired UTF-16 surrogate. */
export const UNSTORABLE_TEXT = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/;

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
