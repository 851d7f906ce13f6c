import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.js';
import { unsupportedMediaType } from '../errors.js';

const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i;

/** Whether a Content-Type names JSON (application/json, application/*+json, with parameters). */
export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && JSON_MEDIA_TYPE.test(value.trim());
}

/** 415 for a POST whose body is not declared as JSON, before the validator reads it. */
export function requireJsonBody(what: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method === 'POST' && !isJsonContentType(c.req.header('Content-Type'))) {
      throw unsupportedMediaType(`send ${what} as JSON with Content-Type: application/json`);
    }
    await next();
  });
}
