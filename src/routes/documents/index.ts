import { createRouter } from '../router.js';
import { deleteDocument, listDocuments, uploadDocument } from './documents.handlers.js';
import { deleteDocumentRoute, listDocumentsRoute, uploadDocumentRoute } from './documents.routes.js';

export const documentsRouter = createRouter()
  .openapi(uploadDocumentRoute, uploadDocument)
  .openapi(listDocumentsRoute, listDocuments)
  .openapi(deleteDocumentRoute, deleteDocument);
