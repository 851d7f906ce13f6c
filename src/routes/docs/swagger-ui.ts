/**
 * Swagger UI at /docs, pinned to one version of `swagger-ui-dist` (package.json pins it exactly).
 *
 * Where its two files come from:
 * - Node, Bun and Deno (src/entry/standalone.ts passes `SwaggerUiAssets` read from
 *   node_modules/swagger-ui-dist): from this app, at /docs/assets/<version>/<file>, cached for a
 *   year (the version is in the path). /docs then works with no network at all.
 * - Workers (no files to read): from a public CDN, the same version, checked by Subresource
 *   Integrity: the browser refuses a file whose SHA-384 differs from the one below, which
 *   test/swagger-ui.test.ts recomputes from the installed package.
 * Either way, when the files cannot load (offline, blocked, integrity mismatch), the page says so
 * and links to the OpenAPI document itself.
 */

/** Must equal the exact version in package.json (test/swagger-ui.test.ts checks both). */
export const SWAGGER_UI_VERSION = '5.35.0';

/** The files /docs uses, with their SHA-384 for the CDN's integrity attribute. */
export const SWAGGER_UI_FILES = {
  'swagger-ui-bundle.js': {
    type: 'text/javascript; charset=utf-8',
    integrity: 'sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9',
  },
  'swagger-ui.css': {
    type: 'text/css; charset=utf-8',
    integrity: 'sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I',
  },
} as const;

export type SwaggerUiFile = keyof typeof SWAGGER_UI_FILES;

/** The files of the installed swagger-ui-dist, for runtimes that can read them. */
export type SwaggerUiAssets = {
  version: string;
  read(file: SwaggerUiFile): Promise<Uint8Array>;
};

export const SWAGGER_UI_CDN = `https://cdn.jsdelivr.net/npm/swagger-ui-dist@${SWAGGER_UI_VERSION}`;
const CDN_ORIGIN = new URL(SWAGGER_UI_CDN).origin;

export const isSwaggerUiFile = (name: string): name is SwaggerUiFile => Object.hasOwn(SWAGGER_UI_FILES, name);

const STYLE = `body{margin:0;font:16px/1.45 system-ui,sans-serif;color:#1b1f24}
#docs-failed{max-width:44rem;margin:2rem auto;padding:1rem 1.25rem;border:1px solid #cf222e;border-radius:8px;background:#ffebe9}
#docs-failed h1{font-size:1.2rem;margin:0 0 .5rem}
[hidden]{display:none!important}`;

const escapeHtml = (value: string) => value.replace(/[&"'<>]/g, (ch) => `&#${ch.charCodeAt(0)};`);

async function sha256Source(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

export type DocsPage = { html: string; csp: string };

/**
 * The /docs page. `local`: the files come from this app (a version-pinned path); otherwise from
 * the CDN with integrity attributes. Its CSP allows exactly these files, its own inline script
 * and style (by hash), and requests to this origin (the OpenAPI document and "Try it out").
 */
export async function renderDocsPage(options: { openApiPath: string; local?: { base: string; version: string } }): Promise<DocsPage> {
  const { local } = options;
  const url = (file: SwaggerUiFile) => (local ? `${local.base}/${local.version}/${file}` : `${SWAGGER_UI_CDN}/${file}`);
  const sri = (file: SwaggerUiFile) => (local ? '' : ` integrity="${SWAGGER_UI_FILES[file].integrity}" crossorigin="anonymous"`);
  const where = local ? `this server (${local.base}/${local.version}/)` : `${CDN_ORIGIN}, checked by Subresource Integrity`;
  const version = local?.version ?? SWAGGER_UI_VERSION;
  // Runs after the bundle's <script>, whether it loaded or not (a failed classic script does not stop the next one).
  const init = `(function(){
var failed=document.getElementById('docs-failed');
if(typeof window.SwaggerUIBundle!=='function'){failed.hidden=false;document.getElementById('swagger-ui').hidden=true;return;}
window.ui=window.SwaggerUIBundle({url:${JSON.stringify(options.openApiPath)},dom_id:'#swagger-ui',deepLinking:true,validatorUrl:null,presets:[window.SwaggerUIBundle.presets.apis],layout:'BaseLayout'});
})();`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Chat API · API documentation</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(url('swagger-ui.css'))}"${sri('swagger-ui.css')}>
<style>${STYLE}</style>
</head>
<body>
<noscript><p>Swagger UI needs JavaScript. The OpenAPI document is at <a href="${escapeHtml(options.openApiPath)}">${escapeHtml(options.openApiPath)}</a>.</p></noscript>
<div id="docs-failed" role="alert" hidden>
<h1>The interactive API documentation could not load</h1>
<p>This page uses Swagger UI ${escapeHtml(version)}, whose files come from ${escapeHtml(where)}; the browser could not load them (no network, blocked, or changed files). The API itself works: its OpenAPI document is at <a href="${escapeHtml(options.openApiPath)}">${escapeHtml(options.openApiPath)}</a>, and the chat page is at <a href="/">/</a>.</p>
<p lang="es">No se pudo cargar la documentación interactiva (Swagger UI ${escapeHtml(version)}). La API funciona: el documento OpenAPI está en <a href="${escapeHtml(options.openApiPath)}">${escapeHtml(options.openApiPath)}</a>.</p>
</div>
<div id="swagger-ui"></div>
<script src="${escapeHtml(url('swagger-ui-bundle.js'))}"${sri('swagger-ui-bundle.js')}></script>
<script>${init}</script>
</body>
</html>`;
  const from = local ? "'self'" : CDN_ORIGIN;
  const csp = [
    "default-src 'none'",
    `script-src ${from} ${await sha256Source(init)}`,
    `style-src ${from} ${await sha256Source(STYLE)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
