import { createApp, type AppDeps } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import type { Database } from '../../src/adapters/db/database.js';
import { accessToken, TEST_SECRET } from './tokens.js';

export type Settings = Record<string, string | undefined>;

/** Builds the app the way an entry file does, with test settings layered on defaults. */
export function buildApp(db: Database, settings: Settings = {}, extra: Partial<AppDeps> = {}) {
  const config = parseConfig({ JWT_SECRET_KEY: TEST_SECRET, RATE_LIMIT_USER_PER_MINUTE: '0', RATE_LIMIT_PROJECT_PER_MINUTE: '0', RATE_LIMIT_USER_READ_PER_MINUTE: '0', RATE_LIMIT_ADDRESS_PER_MINUTE: '0', ...settings });
  return createApp({ config, db, ...extra });
}

export type ChatBody = { mensaje?: unknown; usuario_id?: unknown; proyecto?: unknown; [key: string]: unknown };

type AppLike = { request: (path: string, init?: RequestInit) => Response | Promise<Response> };

/** POSTs a chat question the way a client does. */
export function ask(
  app: AppLike,
  body: ChatBody,
  { token = accessToken(1), path = '/api/v1/chat', headers = {} }: { token?: string | null; path?: string; headers?: Record<string, string> } = {},
) {
  return app.request(path, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

export const question = (mensaje: string, proyecto = 'dashboard_miempresa', usuario_id: unknown = '1') => ({
  mensaje,
  usuario_id,
  proyecto,
});
