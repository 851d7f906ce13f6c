import { expect } from 'vitest';

export type ProblemJson = { type: string; title: string; status: number; detail: string; request_id: string; [key: string]: unknown };

/**
 * A 401 problem with a Bearer challenge and a request id, with no stack and no trace of the
 * token (neither it nor any of its longer segments in the body or the challenge).
 */
export async function expectUnauthorized(response: Response, token?: string): Promise<{ body: ProblemJson; challenge: string }> {
  const text = await response.text();
  expect(response.status, text).toBe(401);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer(\s|$)/);
  const body = JSON.parse(text) as ProblemJson;
  expect(body).toMatchObject({ type: 'urn:chat-api:problem:unauthorized', title: 'Unauthorized', status: 401 });
  expect(body.request_id).toEqual(expect.any(String));
  expect(body.request_id).not.toBe('');
  expect(body.request_id).toBe(response.headers.get('x-request-id'));
  expect(body).not.toHaveProperty('stack');
  expect(text).not.toMatch(/\bat .+:\d+:\d+/); // no stack frames anywhere
  for (const piece of token ? [token, ...token.split('.')].filter((p) => p.length >= 8) : []) {
    expect(text).not.toContain(piece);
    expect(challenge).not.toContain(piece);
  }
  return { body, challenge };
}
