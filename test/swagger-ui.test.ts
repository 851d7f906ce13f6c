import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { swaggerUiFiles } from '../src/entry/swagger-ui-files.js';
import { SWAGGER_UI_CDN, SWAGGER_UI_FILES, SWAGGER_UI_VERSION, type SwaggerUiFile } from '../src/routes/docs/swagger-ui.js';
import { buildApp } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';

const require = createRequire(import.meta.url);
const installed = dirname(require.resolve('swagger-ui-dist/package.json'));
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const directivesOf = (csp: string) => Object.fromEntries(csp.split(/;\s*/).map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));

describe('/docs: Swagger UI, pinned', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createSeededDatabase('embedded');
  });
  afterAll(() => test?.drop());

  it('pins one exact swagger-ui-dist version: package.json, the installed package and the CDN URL agree, and the integrity hashes are those of the installed files', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['swagger-ui-dist'], 'pin swagger-ui-dist exactly (no ^ or ~)').toBe(SWAGGER_UI_VERSION);
    expect((require('swagger-ui-dist/package.json') as { version: string }).version).toBe(SWAGGER_UI_VERSION);
    expect(SWAGGER_UI_CDN).toContain(`swagger-ui-dist@${SWAGGER_UI_VERSION}`);
    for (const [file, { integrity }] of Object.entries(SWAGGER_UI_FILES)) {
      const actual = `sha384-${createHash('sha384').update(readFileSync(join(installed, file))).digest('base64')}`;
      expect(integrity, `${file}: update SWAGGER_UI_FILES in src/routes/docs/swagger-ui.ts`).toBe(actual);
    }
  });

  it('serves the files itself when given them (Node, Bun, Deno): version in the path, cached for a year, CSP allowing only them', async () => {
    const app = buildApp(test.db, {}, { swaggerUiAssets: swaggerUiFiles() });
    const page = await app.request('/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    const base = `/docs/assets/${SWAGGER_UI_VERSION}`;
    expect(html).toContain(`<script src="${base}/swagger-ui-bundle.js"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="${base}/swagger-ui.css">`);
    expect(html).not.toMatch(/https?:\/\//);
    const csp = directivesOf(page.headers.get('content-security-policy')!);
    const [, init] = html.match(/<script>([\s\S]*?)<\/script>/)!;
    const [, style] = html.match(/<style>([\s\S]*?)<\/style>/)!;
    expect(csp['default-src']).toEqual(["'none'"]);
    expect(csp['script-src']).toEqual(["'self'", sha256(init!)]);
    expect(csp['style-src']).toEqual(["'self'", sha256(style!)]);
    expect(csp['connect-src']).toEqual(["'self'"]);

    for (const file of Object.keys(SWAGGER_UI_FILES) as SwaggerUiFile[]) {
      const response = await app.request(`${base}/${file}`, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(SWAGGER_UI_FILES[file].type);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-encoding')).toBe('gzip');
      const plain = await app.request(`${base}/${file}`);
      expect(Buffer.from(await plain.arrayBuffer()).equals(readFileSync(join(installed, file)))).toBe(true);
    }
    // another version, another file, a path outside: not served
    for (const path of ['/docs/assets/1.0.0/swagger-ui-bundle.js', `${base}/index.html`, `${base}/..%2Fpackage.json`, `${base}/swagger-ui-bundle.js.map`]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('without the files (Workers) loads the pinned version from the CDN with Subresource Integrity, and says why when that fails', async () => {
    const app = buildApp(test.db);
    const page = await app.request('/docs');
    const html = await page.text();
    expect(html).toContain(
      `<script src="${SWAGGER_UI_CDN}/swagger-ui-bundle.js" integrity="${SWAGGER_UI_FILES['swagger-ui-bundle.js'].integrity}" crossorigin="anonymous"></script>`,
    );
    expect(html).toContain(`href="${SWAGGER_UI_CDN}/swagger-ui.css" integrity="${SWAGGER_UI_FILES['swagger-ui.css'].integrity}" crossorigin="anonymous"`);
    const csp = directivesOf(page.headers.get('content-security-policy')!);
    expect(csp['script-src']![0]).toBe(new URL(SWAGGER_UI_CDN).origin);
    expect(html).toContain('id="docs-failed" role="alert" hidden');
    expect(html).toContain('href="/api/v1/openapi.json"');
    expect((await app.request(`/docs/assets/${SWAGGER_UI_VERSION}/swagger-ui-bundle.js`)).status).toBe(404);
  });
});
