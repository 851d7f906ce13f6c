import type { VerifiedUser } from './auth/simplejwt.js';
import type { DocumentInfo, KnowledgeStore, NewDocument } from './knowledge/store.js';
import { ModelError } from '../adapters/llm/model.js';
import { ForbiddenError, NotFoundError } from './errors.js';
import type { Project, ProjectDirectory } from './projects.js';

export type DocumentServiceDeps = {
  projects: ProjectDirectory;
  knowledge: KnowledgeStore;
  /** DOCUMENT_ADMIN_USER_IDS: users who administer every project's documents. */
  adminUserIds: readonly string[];
  /** DOCUMENT_ADMIN_CLAIM: a token claim that, when exactly `true`, makes its user an administrator. */
  adminClaim?: string | undefined;
};

function isDocumentAdmin(user: VerifiedUser, adminUserIds: readonly string[], adminClaim: string | undefined): boolean {
  return adminUserIds.includes(user.id) || (adminClaim !== undefined && user.claims[adminClaim] === true);
}

/** A project's documents: administrators only. */
export function createDocumentService(deps: DocumentServiceDeps) {
  /** 403 before 404: someone who may not administer documents learns nothing about projects. */
  async function administered(user: VerifiedUser, slug: string): Promise<Project> {
    if (!isDocumentAdmin(user, deps.adminUserIds, deps.adminClaim)) throw new ForbiddenError(`user ${user.id} may not manage documents`);
    return deps.projects.existing(slug);
  }

  return {
    async add(user: VerifiedUser, slug: string, document: Omit<NewDocument, 'createdBy'>, signal?: AbortSignal): Promise<DocumentInfo> {
      const project = await administered(user, slug);
      try {
        return await deps.knowledge.add(project.slug, { ...document, createdBy: user.id }, { signal });
      } catch (error) {
        if (!(error instanceof ModelError)) throw error;
        throw new ModelError(error.kind, `embedding the document failed: ${error.message}`, error.retryAfterSeconds, { cause: error });
      }
    },

    async list(user: VerifiedUser, slug: string): Promise<DocumentInfo[]> {
      const project = await administered(user, slug);
      return deps.knowledge.list(project.slug);
    },

    async remove(user: VerifiedUser, slug: string, id: string): Promise<void> {
      const project = await administered(user, slug);
      if (!(await deps.knowledge.remove(project.slug, id))) throw new NotFoundError('document', `project "${project.slug}" has no document ${id}`);
    },
  };
}
