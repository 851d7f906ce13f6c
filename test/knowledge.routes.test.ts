import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_CHARS } from '../src/routes/documents/documents.schemas.js';
import { buildApp } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { accessToken } from './support/tokens.js';

const ADMIN = accessToken(7);
const STAFF = accessToken(8, { is_staff: true });
const USER = accessToken(1);
const PATH = '/api/v1/proyectos/conocimiento_general/documentos';

let test: TestDatabase;
let app: ReturnType<typeof buildApp>;

beforeAll(async () => {
  test = await createSeededDatabase('embedded');
  app = buildApp(test.db, { DOCUMENT_ADMIN_USER_IDS: '7', DOCUMENT_ADMIN_CLAIM: 'is_staff' });
}, 120_000);
afterAll(() => test?.drop());

const send = (method: string, path: string, token: string | null, body?: unknown, contentType = 'application/json') =>
  app.request(path, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': contentType } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
  const problem = (await response.json()) as { type: string; detail: string; errors?: { path: string; message: string }[] };
  expect(problem.type).toBe(`urn:chat-api:problem:${code}`);
  return problem;
}

const doc = { titulo: 'Glosario', contenido: '# Picking\n\nEl picking es la recolección de artículos.', tipo: 'text/markdown' };

describe('documents API', () => {
  it('lets an administrator (by user id) upload, list and delete', async () => {
    const created = await send('POST', PATH, ADMIN, doc);
    expect(created.status).toBe(201);
    const stored = (await created.json()) as { id: string; titulo: string; tipo: string; tamano_bytes: number; fragmentos: number; creado_por: string };
    expect(stored).toMatchObject({ titulo: 'Glosario', tipo: 'text/markdown', fragmentos: 1, creado_por: '7' });
    expect(stored.tamano_bytes).toBe(new TextEncoder().encode(doc.contenido).length);

    const listed = (await (await send('GET', PATH, ADMIN)).json()) as { id: string }[];
    expect(listed.map((d) => d.id)).toContain(stored.id);
    // Not visible from another project, nor deletable through it.
    expect(await (await send('GET', '/api/v1/proyectos/tienda_norte/documentos', ADMIN)).json()).toEqual([]);
    await expectProblem(await send('DELETE', `/api/v1/proyectos/tienda_norte/documentos/${stored.id}`, ADMIN), 404, 'not-found');

    expect((await send('DELETE', `${PATH}/${stored.id}`, ADMIN)).status).toBe(204);
    await expectProblem(await send('DELETE', `${PATH}/${stored.id}`, ADMIN), 404, 'not-found');
  });

  it('lets a user whose token has the admin claim set to true upload', async () => {
    expect((await send('POST', PATH, STAFF, doc)).status).toBe(201);
    await expectProblem(await send('POST', PATH, accessToken(9, { is_staff: 'true' }), doc), 403, 'forbidden');
  });

  it('refuses other users (403, before revealing whether the project exists) and anonymous callers (401)', async () => {
    await expectProblem(await send('POST', PATH, USER, doc), 403, 'forbidden');
    await expectProblem(await send('GET', PATH, USER), 403, 'forbidden');
    await expectProblem(await send('DELETE', `${PATH}/${crypto.randomUUID()}`, USER), 403, 'forbidden');
    await expectProblem(await send('GET', '/api/v1/proyectos/no_existe/documentos', USER), 403, 'forbidden');
    await expectProblem(await send('POST', PATH, null, doc), 401, 'unauthorized');
  });

  it('answers 404 for an unknown project', async () => {
    await expectProblem(await send('POST', '/api/v1/proyectos/no_existe/documentos', ADMIN, doc), 404, 'project-not-found');
    await expectProblem(await send('GET', '/api/v1/proyectos/no_existe/documentos', ADMIN), 404, 'project-not-found');
  });

  it.each([
    ['an empty text', { ...doc, contenido: '  \n ' }, 'contenido', /must not be empty/],
    ['an empty title', { ...doc, titulo: '' }, 'titulo', /must not be empty/],
    ['a text over the limit', { ...doc, contenido: 'a'.repeat(MAX_DOCUMENT_CHARS + 1) }, 'contenido', /at most 30000 characters/],
    ['an unknown type', { ...doc, tipo: 'application/pdf' }, 'tipo', /text\/markdown" or "text\/plain/],
    ['a binary file', { ...doc, contenido: '%PDF-1.7\u0001\u0002\u0003 binario' }, 'contenido', /not a binary file/],
    ['a NUL character', { ...doc, contenido: 'hola\u0000mundo' }, 'contenido', /without NUL/],
    ['a missing field', { titulo: 'x', tipo: 'text/plain' }, 'contenido', /.+/],
  ])('refuses %s with a clear 400', async (_, body, field, message) => {
    const problem = await expectProblem(await send('POST', PATH, ADMIN, body), 400, 'invalid-request');
    expect(problem.errors?.find((e) => e.path === field)?.message).toMatch(message);
  });

  it('refuses a body over 32 KiB (413), non-JSON (415), bad ids (400) and invalid JSON (400)', async () => {
    await expectProblem(await send('POST', PATH, ADMIN, { ...doc, contenido: 'ñ'.repeat(17_000) }), 413, 'payload-too-large');
    await expectProblem(await send('POST', PATH, ADMIN, 'hola', 'text/plain'), 415, 'unsupported-media-type');
    await expectProblem(await send('DELETE', `${PATH}/not-a-uuid`, ADMIN), 400, 'invalid-request');
    const bad = await send('POST', PATH, ADMIN, '{"titulo":');
    expect(bad.status).toBe(400);
  });

  it('stores a document right at the character limit', async () => {
    const response = await send('POST', PATH, ADMIN, { titulo: 'Grande', tipo: 'text/plain', contenido: 'palabra '.repeat(3_750).trim() });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { fragmentos: number }).fragmentos).toBeGreaterThan(30);
  });
});

describe('documents per project are bounded (DOCUMENTS_MAX_PER_PROJECT)', () => {
  it('refuses an upload past the cap with 409 limit-reached, lists at most the cap, and takes one again after a delete', async () => {
    const capped = buildApp(test.db, { DOCUMENT_ADMIN_USER_IDS: '7', DOCUMENTS_MAX_PER_PROJECT: '2' });
    const path = '/api/v1/proyectos/tienda_norte/documentos';
    const post = (n: number) =>
      capped.request(path, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ ...doc, titulo: `Guía ${n}` }) });
    const [first, second] = await Promise.all([post(1), post(2)]);
    expect([first!.status, second!.status]).toEqual([201, 201]);
    // Two at once past the cap: the project's row serialises them, neither slips through.
    const refused = await Promise.all([post(3), post(4)]);
    for (const response of refused) {
      const problem = await expectProblem(response, 409, 'limit-reached');
      expect(problem.detail).toBe('project "tienda_norte" already has 2 documents (DOCUMENTS_MAX_PER_PROJECT): delete one first');
    }
    const listed = (await (await capped.request(path, { headers: { Authorization: `Bearer ${ADMIN}` } })).json()) as { id: string }[];
    expect(listed).toHaveLength(2);
    expect((await capped.request(`${path}/${listed[0]!.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${ADMIN}` } })).status).toBe(204);
    expect((await post(5)).status).toBe(201);
  });
});
