import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientModule, GENERATED_PATH } from '../scripts/ui-client.js';
import { CLIENT_SCRIPT } from '../src/ui/client.generated.js';
import { ask, buildApp, question } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { accessToken } from './support/tokens.js';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('the chat page at / and the API it uses', () => {
  let test: TestDatabase;
  let app: ReturnType<typeof buildApp>;
  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
    app = buildApp(test.db);
  });
  afterAll(() => test?.drop());

  const get = (path: string, token: string | null = accessToken(1)) =>
    app.request(path, token === null ? {} : { headers: { Authorization: `Bearer ${token}` } });

  it('serves one self-contained HTML page with a CSP allowing only its own inline style and script', async () => {
    const response = await get('/', null);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    const csp = response.headers.get('content-security-policy')!;
    const directives = Object.fromEntries(csp.split(/;\s*/).map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(directives).toMatchObject({
      'default-src': "'none'",
      'script-src': sha256(scripts[0]!),
      'style-src': sha256(styles[0]!),
      'connect-src': "'self'",
      'frame-ancestors': "'none'",
    });
    // no external resource, no inline handlers or style attributes the CSP would block
    expect(html).not.toMatch(/\s(src|href)="(?!data:)/);
    expect(html).not.toMatch(/\son[a-z]+=|\sstyle=/);
    // accessible form controls
    for (const id of ['token', 'project', 'q']) expect(html).toContain(`<label for="${id}"`);
    expect(html).toContain('aria-live="polite"');
    expect(html).not.toContain('id="dev"');
    const gzip = gzipSync(html).length;
    expect(gzip).toBeLessThan(12 * 1024);
    console.log(`chat page: ${html.length} bytes, ${gzip} bytes gzipped`);
  });

  it('inlines the script built from src/ui/client, and the committed build is what `npm run build:ui` makes now', async () => {
    const html = await (await get('/', null)).text();
    expect(html).toContain(`<script>${CLIENT_SCRIPT}</script>`);
    expect(readFileSync(GENERATED_PATH, 'utf8'), 'src/ui/client.generated.ts is stale: run npm run build:ui').toBe(await buildClientModule());
  });

  it('offers the development token only when the app was given one', async () => {
    const devToken = accessToken(1);
    const html = await (await buildApp(test.db, {}, { devToken }).request('/')).text();
    expect(html).toContain(`id="dev" data-token="${devToken}"`);
    expect((await (await get('/', null)).text()).match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/)).toBeNull();
  });

  it('GET /api/v1/proyectos lists only the projects the caller may use', async () => {
    const slugs = async (user: number) => {
      const response = await get('/api/v1/proyectos', accessToken(user));
      expect(response.status).toBe(200);
      const body = (await response.json()) as { proyecto: string; nombre: string }[];
      // The demo projects with data have the demo model (sugerencias, etiquetas, formatos); conocimiento_general has none.
      for (const p of body) {
        expect(Object.keys(p).sort()).toEqual(p.proyecto === 'conocimiento_general' ? ['nombre', 'proyecto'] : ['etiquetas', 'formatos', 'nombre', 'proyecto', 'sugerencias']);
      }
      return body.map((p) => p.proyecto);
    };
    const forUser1 = await slugs(1);
    expect(forUser1).toEqual(expect.arrayContaining(['dashboard_miempresa', 'conocimiento_general', 'tienda_norte', 'logistica_sur']));
    expect(forUser1).not.toContain('finanzas_direccion');
    expect(await slugs(42)).toContain('finanzas_direccion');
  });

  it('GET /api/v1/proyectos gives a project with a semantic model its suggestions and the labels of its data, in the language asked', async () => {
    const db = await createSeededDatabase('embedded');
    try {
      // The seed gives the demo projects models/demo.yaml.
      const withModel = buildApp(db.db);
      type Listed = { proyecto: string; sugerencias?: string[]; etiquetas?: Record<string, string>; formatos?: Record<string, string> };
      const list = async (idioma: string) =>
        ((await (await withModel.request(`/api/v1/proyectos?idioma=${idioma}`, { headers: { Authorization: `Bearer ${accessToken(1)}` } })).json()) as Listed[]).find(
          (p) => p.proyecto === 'dashboard_miempresa',
        )!;
      const es = await list('es');
      expect(es.sugerencias).toContain('¿Cuántas órdenes pendientes hay?');
      expect(es.etiquetas).toMatchObject({ status: 'Estado', 'status=pending': 'Pendiente', customer: 'Cliente', created_at: 'Fecha', ordenes: 'Número de órdenes', importe: 'Importe', amount: 'Importe' });
      expect(es.formatos).toMatchObject({ importe: 'currency', importe_neto: 'currency', ordenes: 'integer', amount: 'currency' });
      const en = await list('en');
      expect(en.etiquetas).toMatchObject({ status: 'Status', 'status=cancelled': 'Cancelled', ordenes: 'Number of orders' });
      expect(en.sugerencias).toContain('How many shipped orders this week?');
    } finally {
      await db.drop();
    }
  });

  it('GET /api/v1/conversaciones lists only the caller\'s conversations, newest first, with the first question as title', async () => {
    const first = (await (await ask(app, question('¿Cuántas órdenes pendientes hay?', 'dashboard_miempresa', '7'), { token: accessToken(7) })).json()) as { conversacion_id: string };
    const second = (await (await ask(app, question('órdenes por estado', 'tienda_norte', '7'), { token: accessToken(7) })).json()) as { conversacion_id: string };
    await ask(app, question('últimas 5 órdenes', 'dashboard_miempresa', '8'), { token: accessToken(8) });
    // a follow-up moves the first conversation to the top and keeps its title
    await ask(app, { ...question('¿y las enviadas?', 'dashboard_miempresa', '7'), conversacion_id: first.conversacion_id }, { token: accessToken(7) });

    const response = await get('/api/v1/conversaciones', accessToken(7));
    expect(response.status).toBe(200);
    const list = (await response.json()) as { conversacion_id: string; proyecto: string; titulo: string; actualizado: string }[];
    expect(list.map((c) => [c.conversacion_id, c.proyecto, c.titulo])).toEqual([
      [first.conversacion_id, 'dashboard_miempresa', '¿Cuántas órdenes pendientes hay?'],
      [second.conversacion_id, 'tienda_norte', 'órdenes por estado'],
    ]);
    expect(Date.parse(list[0]!.actualizado)).toBeGreaterThanOrEqual(Date.parse(list[1]!.actualizado));

    const narrowed = (await (await get('/api/v1/conversaciones?proyecto=tienda_norte', accessToken(7))).json()) as { conversacion_id: string }[];
    expect(narrowed.map((c) => c.conversacion_id)).toEqual([second.conversacion_id]);
    expect((await get('/api/v1/conversaciones?proyecto=no%20valid', accessToken(7))).status).toBe(400);
    expect(await (await get('/api/v1/conversaciones', accessToken(9))).json()).toEqual([]);
  });

  it('refuses both lists without a valid token (401 problem)', async () => {
    for (const path of ['/api/v1/proyectos', '/api/v1/conversaciones']) {
      for (const token of [null, 'not-a-token']) {
        const response = await get(path, token);
        expect(response.status).toBe(401);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }
  });

  it('documents both lists in the OpenAPI document, bearer-protected', async () => {
    const doc = (await (await get('/api/v1/openapi.json', null)).json()) as {
      paths: Record<string, { get?: { security?: unknown; responses: Record<string, unknown> } }>;
    };
    for (const path of ['/api/v1/proyectos', '/api/v1/conversaciones']) {
      expect(doc.paths[path]?.get?.security).toEqual([{ Bearer: [] }]);
      expect(doc.paths[path]?.get?.responses).toHaveProperty('401');
    }
  });
});
