import type { RouteConfigToEnv, RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import type { DocumentInfo } from '../../services/knowledge/store.js';
import type { deleteDocumentRoute, listDocumentsRoute, uploadDocumentRoute } from './documents.routes.js';

type Handler<R extends typeof uploadDocumentRoute | typeof listDocumentsRoute | typeof deleteDocumentRoute> = RouteHandler<
  R,
  AppEnv & RouteConfigToEnv<R>
>;

/** POST /api/v1/proyectos/{proyecto}/documentos */
export const uploadDocument: Handler<typeof uploadDocumentRoute> = async (c) => {
  const { proyecto } = c.req.valid('param');
  const body = c.req.valid('json');
  const stored = await c.var.services.documents.add(
    c.var.user,
    proyecto,
    { title: body.titulo, mediaType: body.tipo, content: body.contenido },
    c.var.signal,
  );
  return c.json(documentJson(stored), 201);
};

/** GET /api/v1/proyectos/{proyecto}/documentos */
export const listDocuments: Handler<typeof listDocumentsRoute> = async (c) => {
  const documents = await c.var.services.documents.list(c.var.user, c.req.valid('param').proyecto);
  return c.json(documents.map(documentJson), 200);
};

/** DELETE /api/v1/proyectos/{proyecto}/documentos/{id} */
export const deleteDocument: Handler<typeof deleteDocumentRoute> = async (c) => {
  const { proyecto, id } = c.req.valid('param');
  await c.var.services.documents.remove(c.var.user, proyecto, id);
  return c.body(null, 204);
};

/** A document as the API shows it (Spanish field names, like the rest of the API). */
function documentJson(document: DocumentInfo) {
  return {
    id: document.id,
    titulo: document.title,
    tipo: document.mediaType,
    tamano_bytes: document.sizeBytes,
    fragmentos: document.passages,
    creado_por: document.createdBy,
    creado: document.createdAt.toISOString(),
  };
}
