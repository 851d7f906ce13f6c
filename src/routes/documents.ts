import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.js';
import type { VerifiedUser } from '../auth/simplejwt.js';
import type { Project } from '../chat/projects.js';
import { ProblemError } from '../errors.js';
import type { KnowledgeStore } from '../knowledge/store.js';
import { ModelError } from '../llm/model.js';
import { invalidRequest, problem, withDatabase, type RouteMiddleware } from './problems.js';
import { PROJECT_SLUG, UNSTORABLE_TEXT } from './schemas.js';

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

const projectParam = z.object({
  proyecto: z.string().regex(PROJECT_SLUG, 'must be 1..64 letters, digits, "_" or "-"').openapi({ param: { name: 'proyecto', in: 'path' }, example: 'conocimiento_general' }),
});
const documentParam = projectParam.extend({
  id: z.uuid('must be a document id').openapi({ param: { name: 'id', in: 'path' } }),
});


const common = {
  401: problem('Missing, invalid or expired access token'),
  403: problem('Not a document administrator (DOCUMENT_ADMIN_USER_IDS, DOCUMENT_ADMIN_CLAIM)'),
  404: problem('Unknown project or document'),
};

const uploadRoute = (requireUser: RouteMiddleware) =>
  createRoute({
    method: 'post',
    path: '/api/v1/proyectos/{proyecto}/documentos',
    tags: ['documentos'],
    summary: "Add a document to a project's knowledge",
    description:
      'Document administrators only. The text is split into passages indexed for full-text search (Spanish and English) ' +
      'and, when an embedding model is configured and pgvector exists, embedded. Chat questions of the project are then ' +
      'answered from its passages ("fuente": "documentos").',
    security: [{ Bearer: [] }],
    middleware: [requireUser] as const,
    request: {
      params: projectParam,
      body: { required: true, content: { 'application/json': { schema: DocumentUploadSchema } } },
    },
    responses: {
      201: { description: 'The stored document', content: { 'application/json': { schema: DocumentSchema } } },
      400: problem('Invalid body: empty, too long, not text, or an unknown `tipo`; the failing fields are listed in `errors`'),
      ...common,
      413: problem('Body larger than 32 KiB'),
      415: problem('Body is not JSON'),
    },
  });

const listRoute = (requireUser: RouteMiddleware) =>
  createRoute({
    method: 'get',
    path: '/api/v1/proyectos/{proyecto}/documentos',
    tags: ['documentos'],
    summary: "A project's documents",
    security: [{ Bearer: [] }],
    middleware: [requireUser] as const,
    request: { params: projectParam },
    responses: {
      200: { description: 'The documents, newest first', content: { 'application/json': { schema: z.array(DocumentSchema) } } },
      400: problem('Invalid project name'),
      ...common,
    },
  });

const deleteRoute = (requireUser: RouteMiddleware) =>
  createRoute({
    method: 'delete',
    path: '/api/v1/proyectos/{proyecto}/documentos/{id}',
    tags: ['documentos'],
    summary: 'Delete a document and its passages',
    security: [{ Bearer: [] }],
    middleware: [requireUser] as const,
    request: { params: documentParam },
    responses: {
      204: { description: 'Deleted' },
      400: problem('Invalid project name or document id'),
      ...common,
    },
  });

export type DocumentRouteDeps = {
  store: KnowledgeStore;
  findProject: (slug: string) => Promise<Project | null>;
  requireUser: RouteMiddleware;
  /** DOCUMENT_ADMIN_USER_IDS: users who administer every project's documents. */
  adminUserIds: readonly string[];
  /** DOCUMENT_ADMIN_CLAIM: a token claim that, when exactly `true`, makes its user an administrator. */
  adminClaim?: string | undefined;
};

export function isDocumentAdmin(user: VerifiedUser, adminUserIds: readonly string[], adminClaim: string | undefined): boolean {
  return adminUserIds.includes(user.id) || (adminClaim !== undefined && user.claims[adminClaim] === true);
}

/** Upload, list and delete a project's documents: administrators only. */
export function documentRoutes(deps: DocumentRouteDeps) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(result.error.issues);
    },
  });
  app.use('/api/v1/proyectos/:proyecto/documentos', async (c, next) => {
    if (c.req.method === 'POST' && !/^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i.test(c.req.header('Content-Type')?.trim() ?? '')) {
      throw new ProblemError(415, 'unsupported-media-type', 'send the document as JSON with Content-Type: application/json', {
        headers: { Accept: 'application/json' },
      });
    }
    await next();
  });

  /** 403 before 404: someone who may not administer documents learns nothing about projects. */
  const adminProject = async (user: VerifiedUser, slug: string): Promise<Project> => {
    if (!isDocumentAdmin(user, deps.adminUserIds, deps.adminClaim)) {
      throw new ProblemError(403, 'forbidden', `user ${user.id} may not manage documents`);
    }
    const project = await withDatabase(() => deps.findProject(slug));
    if (!project) throw new ProblemError(404, 'project-not-found', `unknown project "${slug}"`);
    return project;
  };

  app.openapi(uploadRoute(deps.requireUser), async (c) => {
    const { proyecto } = c.req.valid('param');
    const user = c.get('user');
    const project = await adminProject(user, proyecto);
    const body = c.req.valid('json');
    try {
      const stored = await withDatabase(() =>
        deps.store.add(project.slug, { title: body.titulo, mediaType: body.tipo, content: body.contenido, createdBy: user.id }, { signal: c.get('signal') }),
      );
      return c.json(stored, 201);
    } catch (error) {
      if (error instanceof ModelError) {
        throw new ProblemError(error.kind === 'timeout' ? 504 : 502, error.kind === 'timeout' ? 'model-timeout' : 'model-unavailable', `embedding the document failed: ${error.message}`);
      }
      throw error;
    }
  });

  app.openapi(listRoute(deps.requireUser), async (c) => {
    const project = await adminProject(c.get('user'), c.req.valid('param').proyecto);
    return c.json(await withDatabase(() => deps.store.list(project.slug)), 200);
  });

  app.openapi(deleteRoute(deps.requireUser), async (c) => {
    const { proyecto, id } = c.req.valid('param');
    const project = await adminProject(c.get('user'), proyecto);
    if (!(await withDatabase(() => deps.store.remove(project.slug, id)))) {
      throw new ProblemError(404, 'not-found', `project "${project.slug}" has no document ${id}`);
    }
    return c.body(null, 204);
  });
  return app;
}


