import { LRUCache } from 'lru-cache';
import type { Database } from '../adapters/db/database.js';
import type { ServiceTables } from '../adapters/db/tables.js';
import { ForbiddenError, InvalidInputError, InvalidStoredModelError, NotFoundError } from './errors.js';
import { checkSemanticModel } from './semantic-model/check.js';
import { semanticModelSchema, type SemanticModel } from './semantic-model/schema.js';

/** A row of the project registry: a tenant, its model prompt and who may use it. */
export type Project = {
  slug: string;
  displayName: string;
  systemPrompt: string;
  openToAll: boolean;
  allowedUserIds: readonly string[];
  /** Opt-in: the model may write one guarded SELECT over this project's rows. */
  guardedSql: boolean;
  /** What the project's own data means; null: no database answers (documents and the language model only). */
  semantic: { model: SemanticModel; version: string; tenant: string } | null;
};

/** How a lookup was served, for the request's log line. */
export type ProjectLookup = { project: Project; cache: 'hit' | 'miss' | 'off' };

type ProjectRow = {
  slug: string;
  display_name: string;
  system_prompt: string;
  open_to_all: boolean;
  allowed_user_ids: string[];
  guarded_sql: boolean;
  semantic_model: unknown;
  model_version: string | null;
  tenant: string | null;
};

/** Projects kept at once; the registry of a deployment is usually far smaller. */
const PROJECT_CACHE_MAX = 1_000;

/**
 * The project registry's cache, shared by every request of a process or Worker isolate.
 * Entries live `ttlMs` (a change — new project, revoked user — takes effect within it; 0
 * disables the cache). Only known projects are cached: unknown names are looked up each
 * time, so cycling random names cannot evict the hot projects (the rate limits bound them).
 * Concurrent misses for one project share one lookup.
 */
export function createProjectCache(ttlMs: number, tables: ServiceTables, clock?: { now: () => number }) {
  if (ttlMs <= 0) return null;
  return new LRUCache<string, Project, Database>({
    max: PROJECT_CACHE_MAX,
    ttl: ttlMs,
    // A given clock is read on every check (lru-cache otherwise reuses a reading for 1 ms).
    ...(clock ? { perf: clock, ttlResolution: 0 } : {}),
    // undefined (an unknown project) is not cached.
    fetchMethod: async (slug, _stale, { context }) => (await loadProject(context, tables, slug)) ?? undefined,
  });
}
export type ProjectCache = ReturnType<typeof createProjectCache>;

/** The registry as one request sees it, over that request's database. */
export function createProjectDirectory(db: Database, cache: ProjectCache, tables: ServiceTables) {
  async function lookup(slug: string): Promise<ProjectLookup | null> {
    if (!cache) {
      const project = await loadProject(db, tables, slug);
      return project && { project, cache: 'off' };
    }
    const status: LRUCache.Status<string, Project, Database> = {};
    const project = await cache.fetch(slug, { context: db, status });
    return project ? { project, cache: status.fetch === 'hit' ? 'hit' : 'miss' } : null;
  }

  return {
    /** The project, if `userId` may use it: NotFoundError when unknown, ForbiddenError when not theirs. */
    async usableBy(slug: string, userId: string): Promise<ProjectLookup> {
      const found = await lookup(slug);
      if (!found) throw new NotFoundError('project', `unknown project "${slug}"`);
      if (!mayUse(found.project, userId)) throw new ForbiddenError(`user ${userId} may not use project "${slug}"`);
      return found;
    },

    /** The project, whoever asks (callers check their own permission first). */
    async existing(slug: string): Promise<Project> {
      const found = await lookup(slug);
      if (!found) throw new NotFoundError('project', `unknown project "${slug}"`);
      return found.project;
    },

    /** The projects open to everyone or to `userId`, by name. */
    async listFor(userId: string): Promise<{ slug: string; displayName: string }[]> {
      const rows = await db.query<{ slug: string; display_name: string }>(
        `SELECT slug, display_name FROM ${tables.projects} WHERE open_to_all OR $1 = ANY (allowed_user_ids) ORDER BY display_name, slug`,
        [userId],
      );
      return rows.map((row) => ({ slug: row.slug, displayName: row.display_name }));
    },
  };
}
export type ProjectDirectory = ReturnType<typeof createProjectDirectory>;

function mayUse(project: Project, userId: string): boolean {
  return project.openToAll || project.allowedUserIds.includes(userId);
}

async function loadProject(db: Database, tables: ServiceTables, slug: string): Promise<Project | null> {
  const [row] = await db.query<ProjectRow>(
    `SELECT slug, display_name, system_prompt, open_to_all, allowed_user_ids, guarded_sql,
            semantic_model, md5(semantic_model::text) AS model_version, tenant
     FROM ${tables.projects} WHERE slug = $1`,
    [slug],
  );
  if (!row) return null;
  return {
    slug: row.slug,
    displayName: row.display_name,
    systemPrompt: row.system_prompt,
    openToAll: row.open_to_all,
    allowedUserIds: row.allowed_user_ids,
    guardedSql: row.guarded_sql,
    semantic: semanticOf(row),
  };
}

/**
 * The stored model, checked again on load: one written by another version of the service that
 * this one cannot read gives the project no database answers rather than wrong ones.
 */
function semanticOf(row: ProjectRow): Project['semantic'] {
  if (row.semantic_model === null || row.semantic_model === undefined) return null;
  const parsed = semanticModelSchema.safeParse(row.semantic_model);
  if (!parsed.success || checkSemanticModel(parsed.data).length > 0) {
    throw new InvalidStoredModelError(`the semantic model stored for project "${row.slug}" is not valid for this version; run npm run project:add again`);
  }
  return { model: parsed.data, version: row.model_version ?? '', tenant: row.tenant ?? row.slug };
}

/** What `npm run project:add` writes; an omitted field keeps the stored value (a new project gets the default). */
export type ProjectRegistration = {
  slug: string;
  /** The validated model (only a model that passed every layer is ever stored). */
  model: SemanticModel;
  displayName?: string;
  /** null: the project's slug. */
  tenant?: string;
  access?: { openToAll: true } | { openToAll: false; userIds: readonly string[] };
  /** Only for a new project: its prompt. An existing project keeps its own. */
  systemPrompt: string;
  /** Switch model-written SQL on (only after guardedSqlSetupProblems found none) or off; omitted: unchanged (new: off). */
  guardedSql?: boolean;
};

export type RegisteredProject = {
  created: boolean;
  displayName: string;
  tenant: string | null;
  openToAll: boolean;
  allowedUserIds: string[];
  guardedSql: boolean;
};

/**
 * Registers a project or replaces its model, in one statement so that a concurrent reader sees
 * either the old row or the new one. A new project must say who may use it: the table's default
 * (open to all) would silently expose a new tenant's data to every user.
 */
export async function registerProject(db: Database, tables: ServiceTables, input: ProjectRegistration): Promise<RegisteredProject> {
  const openToAll = input.access ? input.access.openToAll : null;
  const userIds = input.access ? (input.access.openToAll ? [] : [...input.access.userIds]) : null;
  const [row] = await db.query<{
    created: boolean;
    display_name: string;
    tenant: string | null;
    open_to_all: boolean;
    allowed_user_ids: string[];
    guarded_sql: boolean;
  }>(
    `INSERT INTO ${tables.projects} AS p (slug, display_name, system_prompt, open_to_all, allowed_user_ids, semantic_model, tenant, guarded_sql)
     SELECT $1, COALESCE($2, $1), $3, COALESCE($4, false), COALESCE($5::text[], '{}'), $6::jsonb, $7, COALESCE($8, false)
     WHERE $4::boolean IS NOT NULL OR EXISTS (SELECT 1 FROM ${tables.projects} WHERE slug = $1)
     ON CONFLICT (slug) DO UPDATE SET
       display_name = COALESCE($2, p.display_name),
       open_to_all = COALESCE($4, p.open_to_all),
       allowed_user_ids = COALESCE($5::text[], p.allowed_user_ids),
       semantic_model = EXCLUDED.semantic_model,
       tenant = COALESCE($7, p.tenant),
       guarded_sql = COALESCE($8, p.guarded_sql)
     RETURNING (xmax = 0) AS created, display_name, tenant, open_to_all, allowed_user_ids, guarded_sql`,
    [input.slug, input.displayName ?? null, input.systemPrompt, openToAll, userIds, JSON.stringify(input.model), input.tenant ?? null, input.guardedSql ?? null],
  );
  if (!row) throw new InvalidInputError(`project "${input.slug}" is new: say who may use it with --open-to-all or --users 1,2,3`);
  return {
    created: row.created,
    displayName: row.display_name,
    tenant: row.tenant,
    openToAll: row.open_to_all,
    allowedUserIds: row.allowed_user_ids,
    guardedSql: row.guarded_sql,
  };
}
