import { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import type { AppEnv } from '../app-env.js';
import { invalidRequest } from '../errors.js';

/** Every validation failure becomes the same 400 problem, listing the failing fields. */
const validationHook = (result: { success: boolean; error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } }) => {
  if (!result.success && result.error) throw invalidRequest(result.error.issues);
};

/** A router whose zod validation failures are the API's 400 problem. */
export function createRouter<E extends Env = AppEnv>(options: { strict?: boolean } = {}) {
  return new OpenAPIHono<E>({ ...options, defaultHook: validationHook });
}
