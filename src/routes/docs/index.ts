import type { OpenAPIHono } from '@hono/zod-openapi';
import { compress } from 'hono/compress';
import type { AppEnv } from '../../app-env.js';
import { problemResponse, ProblemError } from '../../errors.js';
import { isSwaggerUiFile, renderDocsPage, SWAGGER_UI_FILES, type DocsPage, type SwaggerUiAssets } from './swagger-ui.js';

const OPENAPI_PATH = '/api/v1/openapi.json';

const ASSETS_BASE = '/docs/assets';

/**
 * OpenAPI 3.1 document generated from the routes' zod schemas, and Swagger UI over it: its files
 * served by this app when the runtime can read them (`assets`), else from a pinned CDN URL with
 * integrity (see ./swagger-ui.ts).
 */
export function docsRoutes(app: OpenAPIHono<AppEnv>, assets?: SwaggerUiAssets): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token issued by Django (djangorestframework-simplejwt).',
  });
  app.doc31(OPENAPI_PATH, (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'Chat API',
      version: '1.0.0',
      description:
        'Ask questions in Spanish or English about a project\'s business data. Answers come from PostgreSQL ' +
        '(`fuente: "database"`) or from an OpenAI-compatible model (`fuente: "openai"`). Errors are RFC 9457 problem details.',
    },
    servers: [{ url: new URL(c.req.url).origin, description: 'This server' }],
  }));
  let page: Promise<DocsPage> | undefined;
  app.get('/docs', async (c) => {
    const { html, csp } = await (page ??= renderDocsPage({
      openApiPath: OPENAPI_PATH,
      ...(assets ? { local: { base: ASSETS_BASE, version: assets.version } } : {}),
    }));
    c.header('Content-Security-Policy', csp);
    c.header('Cache-Control', 'no-cache');
    return c.html(html);
  });
  if (assets) {
    app.use(`${ASSETS_BASE}/*`, compress());
    // The version is in the path, so a file never changes under its URL: cached for a year.
    app.get(`${ASSETS_BASE}/:version/:file`, async (c) => {
      const { version, file } = c.req.param();
      if (version !== assets.version || !isSwaggerUiFile(file)) {
        return problemResponse(c, new ProblemError(404, 'not-found', `no route for GET ${c.req.path}`));
      }
      const body = await assets.read(file);
      return c.body(body as Uint8Array<ArrayBuffer>, 200, {
        'Content-Type': SWAGGER_UI_FILES[file].type,
        'Cache-Control': 'public, max-age=31536000, immutable',
      });
    });
  }
  // '/' is the chat page (src/routes/ui/).
}
