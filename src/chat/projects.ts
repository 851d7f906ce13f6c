import type { Database } from '../db/database.js';
import { QUERY_NAMES, type QueryName } from './catalogue-types.js';
import { createTtlCache } from './ttl-cache.js';

/** A row of the project registry: a tenant, its model prompt and who may use it. */
export type Project = {
  slug: string;
  displayName: string;
  systemPrompt: string;
  openToAll: boolean;
  allowedUserIds: readonly string[];
  /** Catalogue queries answered from this project's data. */
  enabledQueries: readonly QueryName[];
  /** Opt-in: the model may write one guarded SELECT over this project's rows. */
  guardedSql: boolean;
};

type ProjectRow = {
  slug: string;
  display_name: string;
  system_prompt: string;
  open_to_all: boolean;
  allowed_user_ids: string[];
  enabled_queries: string[] | null;
  guarded_sql: boolean;
};

export async function findProject(db: Database, slug: string): Promise<Project | null> {
  const [row] = await db.query<ProjectRow>(
    `SELECT slug, display_name, system_prompt, open_to_all, allowed_user_ids, enabled_queries, guarded_sql
     FROM projects WHERE slug = $1`,
    [slug],
  );
  if (!row) return null;
  return {
    slug: row.slug,
    displayName: row.display_name,
    systemPrompt: row.system_prompt,
    openToAll: row.open_to_all,
    allowedUserIds: row.allowed_user_ids,
    // NULL means every query; names this version does not know are ignored.
    enabledQueries:
      row.enabled_queries === null
        ? QUERY_NAMES
        : QUERY_NAMES.filter((name) => row.enabled_queries?.includes(name)),
    guardedSql: row.guarded_sql,
  };
}

export function mayUse(project: Project, userId: string): boolean {
  return project.openToAll || project.allowedUserIds.includes(userId);
}

/**
 * Project lookups with a short-lived cache: the registry changes rarely, and the lookup is
 * on every request. A change (new project, revoked user) takes effect within `ttlMs`;
 * 0 disables the cache. Unknown slugs are cached too, so random names cannot hammer the
 * database.
 */
export function createProjectLookup(db: Database, ttlMs: number) {
  if (ttlMs <= 0) return (slug: string) => findProject(db, slug);
  const cache = createTtlCache<Project | null>(ttlMs);
  return (slug: string) => cache.get(slug, () => findProject(db, slug));
}
