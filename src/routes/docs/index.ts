import type { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import type { AppEnv } from '../../app-env.js';

const OPENAPI_PATH = '/api/v1/openapi.json';

/** OpenAPI 3.1 document generated from the routes' zod schemas, and Swagger UI over it. */
export function docsRoutes(app: OpenAPIHono<AppEnv>): void {
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
  app.get('/docs', swaggerUI({ url: OPENAPI_PATH, title: 'Chat API' }));
  // '/' is the chat page (src/routes/ui/).
}
