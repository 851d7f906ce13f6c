import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import { DatabaseUnavailableError } from '../../adapters/db/database.js';
import { pendingMigrations } from '../../adapters/db/migrations.js';
import { ProblemError } from '../../errors.js';
import type { healthRoute, readyRoute } from './health.routes.js';

export const health: RouteHandler<typeof healthRoute, AppEnv> = (c) => c.json({ status: 'ok' as const }, 200);

/** Ready when the database answers and has every migration. */
export const ready: RouteHandler<typeof readyRoute, AppEnv> = async (c) => {
  let pending: string[];
  try {
    pending = await pendingMigrations(c.var.services.db, c.var.services.tables);
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError)) throw error;
    throw new ProblemError(503, 'not-ready', `database ${error.kind === 'timeout' ? 'too slow' : 'unreachable'}`, { headers: { 'Retry-After': '5' } });
  }
  if (pending.length > 0) throw new ProblemError(503, 'not-ready', `migrations pending: ${pending.join(', ')}`);
  return c.json({ status: 'ready' as const, database: 'ok' as const }, 200);
};
