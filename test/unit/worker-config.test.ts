import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExecutionContext } from 'hono';
import { createWorker } from '../../src/entry/worker-runtime.js';

const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;

/** Issue 14, item 6, on Workers: a deployment mistake is one clear log line, and a bare 500 problem for the client. */
describe('a Worker with mistaken settings', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    [{ JWT_SECRET: 'x'.repeat(40) }, 'JWT_SECRET: is not a setting; did you mean JWT_SECRET_KEY?'],
    [{ JWT_SECRET_KEY: 'x'.repeat(40), DATABSE_URL: 'postgres://db/x' }, 'DATABSE_URL: is not a setting; did you mean DATABASE_URL?'],
    [{ JWT_SECRET_KEY: 'x'.repeat(40), REQUEST_TIMEOUT_MS: 'abc' }, 'REQUEST_TIMEOUT_MS'],
  ])('%j: the log names the mistake, the client gets a 500 problem without it', async (env, expected) => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((message: unknown) => void errors.push(String(message)));
    const worker = createWorker(() => {
      throw new Error('no database is opened for a misconfigured Worker');
    });
    const response = await worker.fetch(new Request('https://chat.example/health'), env, ctx);
    expect(response.status).toBe(500);
    expect(response.headers.get('Content-Type')).toBe('application/problem+json');
    const body = await response.text();
    expect(body).toContain('misconfigured');
    expect(body).not.toContain(expected);
    expect(errors.join('\n')).toContain(expected);
  });
});
