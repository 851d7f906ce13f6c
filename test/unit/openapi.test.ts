import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/db/database.js';
import { buildApp } from '../support/app.js';

/** The document and Swagger UI are built from the routes alone: any database call fails the test. */
const noDatabase: Database = {
  query: () => Promise.reject(new Error('the OpenAPI document must not touch the database')),
  exec: () => Promise.reject(new Error('the OpenAPI document must not touch the database')),
  close: async () => {},
};

type OpenAPIDoc = {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, {
    security?: Record<string, string[]>[];
    requestBody?: { required?: boolean; content: Record<string, { schema: unknown; examples?: Record<string, { value: Record<string, unknown> }> }> };
    responses: Record<string, { content?: Record<string, unknown> }>;
  }>>;
  components: { schemas: Record<string, { required?: string[]; properties: Record<string, Record<string, unknown>> }>; securitySchemes: Record<string, unknown> };
};

describe('OpenAPI document and Swagger UI', () => {
  let doc: OpenAPIDoc;
  beforeAll(async () => {
    const response = await buildApp(noDatabase).request('http://api.example.test/api/v1/openapi.json');
    expect(response.status).toBe(200);
    doc = (await response.json()) as OpenAPIDoc;
  });

  it('is OpenAPI 3.1 with this server as the base URL', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0]?.url).toBe('http://api.example.test');
  });

  it('documents POST /api/v1/chat with the bearer scheme, so Authorize + Try it out works', () => {
    const chat = doc.paths['/api/v1/chat']?.post;
    expect(chat?.security).toEqual([{ Bearer: [] }]);
    expect(doc.components.securitySchemes.Bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(chat?.requestBody?.required).toBe(true);
    expect(Object.keys(chat?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404', '408', '413', '415', '429', '502', '503', '504']);
    expect(chat?.responses['401']?.content).toHaveProperty(['application/problem+json']);
    // every authenticated endpoint documents its 429
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) if (operation.security) expect(operation.responses, `${method} ${path}`).toHaveProperty('429');
    }
  });

  it('carries the two original questions as request examples', () => {
    const examples = doc.paths['/api/v1/chat']?.post?.requestBody?.content['application/json']?.examples ?? {};
    const values = Object.values(examples).map((e) => e.value);
    expect(values).toContainEqual({ mensaje: '¿Cuántas órdenes pendientes hay?', usuario_id: '1', proyecto: 'dashboard_miempresa' });
    expect(values).toContainEqual({ mensaje: 'Explícame qué es una orden inbound', usuario_id: '1', proyecto: 'conocimiento_general' });
  });

  it('is generated from the zod schemas that validate requests', () => {
    const request = doc.components.schemas.ChatRequest!;
    expect(request.required?.sort()).toEqual(['mensaje', 'proyecto', 'usuario_id']);
    expect(request.properties.mensaje).toMatchObject({ type: 'string', minLength: 1, maxLength: 4000 });
    expect(request.properties.proyecto).toMatchObject({ type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' });
    const response = doc.components.schemas.ChatResponse!;
    expect(response.properties.fuente).toMatchObject({ enum: ['database', 'openai', 'documentos'] });
    expect(response.required?.sort()).toEqual(['conversacion_id', 'fuente', 'proyecto', 'request_id', 'respuesta']);
  });

  it('serves Swagger UI at /docs pointing at the document', async () => {
    const response = await buildApp(noDatabase).request('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('SwaggerUIBundle');
    expect(html).toContain('/api/v1/openapi.json');
  });
});
