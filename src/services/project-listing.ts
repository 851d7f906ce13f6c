import { detectLanguage } from './language.js';
import { suggestedQuestions } from './chat/semantic.js';
import { InvalidStoredModelError } from './errors.js';
import type { ProjectDirectory } from './projects.js';

export type ListedProject = { slug: string; displayName: string; suggestions: string[] };

/**
 * The projects a user may use, each with a few suggested questions: its semantic model's example
 * questions (in `language` when given), none for a project without a model. Each project is read
 * through the registry (and its cache), where its model already lives.
 */
export function createProjectListing(projects: ProjectDirectory) {
  async function suggestionsFor(slug: string, language: 'es' | 'en' | undefined): Promise<string[]> {
    try {
      const project = await projects.existing(slug);
      return suggestedQuestions(project.semantic?.model, language, detectLanguage);
    } catch (error) {
      // A model this version cannot read fails that project's questions loudly (InvalidStoredModelError
      // → 500 on chat); the list of projects stays usable, without suggestions for it.
      if (error instanceof InvalidStoredModelError) return [];
      throw error;
    }
  }

  return {
    async listFor(userId: string, language?: 'es' | 'en'): Promise<ListedProject[]> {
      const listed = await projects.listFor(userId);
      return Promise.all(listed.map(async (p) => ({ ...p, suggestions: await suggestionsFor(p.slug, language) })));
    },
  };
}
export type ProjectListing = ReturnType<typeof createProjectListing>;
