import { createRoute, z } from '@hono/zod-openapi';
import { limitPerUser, limitReads, requireUser } from '../../middleware/auth.js';
import { requireJsonBody } from '../../middleware/json-body.js';
import { problem, protectedRouteProblems } from '../problems.js';
import { DocumentSchema, DocumentUploadSchema, documentParam, projectParam } from './documents.schemas.js';

const common = {
  ...protectedRouteProblems,
  403: problem('Not a document administrator (DOCUMENT_ADMIN_USER_IDS, DOCUMENT_ADMIN_CLAIM)'),
  404: problem('Unknown project or document'),
};

export const uploadDocumentRoute = createRoute({
  method: 'post',
  path: '/api/v1/proyectos/{proyecto}/documentos',
  tags: ['documentos'],
  summary: "Add a document to a project's knowledge",
  description:
    'Document administrators only. The text is split into passages indexed for full-text search (Spanish and English) ' +
    'and, when an embedding model is configured and pgvector exists, embedded. Chat questions of the project are then ' +
    'answered from its passages ("fuente": "documentos").',
  security: [{ Bearer: [] }],
  middleware: [requireJsonBody('the document'), requireUser, limitPerUser] as const,
  request: {
    params: projectParam,
    body: { required: true, content: { 'application/json': { schema: DocumentUploadSchema } } },
  },
  responses: {
    201: { description: 'The stored document', content: { 'application/json': { schema: DocumentSchema } } },
    400: problem('Invalid body: empty, too long, not text, or an unknown `tipo`; the failing fields are listed in `errors`'),
    ...common,
    408: problem('The body was still arriving after REQUEST_BODY_TIMEOUT_MS (or REQUEST_TIMEOUT_MS): the connection is closed'),
    409: problem('The project already holds DOCUMENTS_MAX_PER_PROJECT documents: delete one first'),
    413: problem('Body larger than 32 KiB'),
    415: problem('Body is not JSON'),
  },
});

export const listDocumentsRoute = createRoute({
  method: 'get',
  path: '/api/v1/proyectos/{proyecto}/documentos',
  tags: ['documentos'],
  summary: "A project's documents",
  security: [{ Bearer: [] }],
  middleware: [requireUser, limitReads] as const,
  request: { params: projectParam },
  responses: {
    200: { description: 'The documents, newest first', content: { 'application/json': { schema: z.array(DocumentSchema) } } },
    400: problem('Invalid project name'),
    ...common,
  },
});

export const deleteDocumentRoute = createRoute({
  method: 'delete',
  path: '/api/v1/proyectos/{proyecto}/documentos/{id}',
  tags: ['documentos'],
  summary: 'Delete a document and its passages',
  security: [{ Bearer: [] }],
  middleware: [requireUser, limitPerUser] as const,
  request: { params: documentParam },
  responses: {
    204: { description: 'Deleted' },
    400: problem('Invalid project name or document id'),
    ...common,
  },
});
