import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../src/app.js';
import { buildApp, question, type Settings } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { chunked, slowRequest } from './support/raw-http.js';
import { accessToken } from './support/tokens.js';

/**
 * Issue 14: "slow clients are the client's fault". A body still arriving past
 * REQUEST_BODY_TIMEOUT_MS (or past the whole REQUEST_TIMEOUT_MS) is answered 408
 * `request-timeout` as a problem, and the server closes the connection; a real Node HTTP server,
 * a real socket that trickles bytes, the real PostgreSQL behind.
 */
let test: TestDatabase;
beforeAll(async () => {
  test = await createSeededDatabase('postgres');
}, 120_000);
afterAll(() => test?.drop());

async function listen(settings: Settings) {
  const entries: LogEntry[] = [];
  const app = buildApp(test.db, settings, { log: (entry) => entries.push(entry) });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    entries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const body = JSON.stringify(question('¿Cuántas órdenes pendientes hay?'));
const head = (token: string | null, framing: string) =>
  [
    'POST /api/v1/chat HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    ...(token ? [`Authorization: Bearer ${token}`] : []),
    framing,
  ].join('\r\n');

function expect408(exchange: Awaited<ReturnType<typeof slowRequest>>) {
  expect(exchange.status).toBe(408);
  expect(exchange.headers['content-type']).toBe('application/problem+json');
  expect(exchange.headers.connection).toBe('close');
  expect(JSON.parse(exchange.body)).toMatchObject({ type: 'urn:chat-api:problem:request-timeout', title: 'Request Timeout', status: 408 });
  // answered while the client was still sending; then the server hangs up instead of waiting for the rest
  expect(exchange.unsent).toBeGreaterThan(0);
  return exchange.closed.then((unsent) => expect(unsent).toBeGreaterThan(0));
}

describe('a body trickling in past the read deadline', () => {
  it('Content-Length body, one byte at a time: 408 problem, connection closed, logged as 408', async () => {
    const server = await listen({ REQUEST_BODY_TIMEOUT_MS: '300' });
    try {
      const exchange = await slowRequest(server.port, head(accessToken(1), `Content-Length: ${Buffer.byteLength(body)}`), body, { first: 5 });
      await expect408(exchange);
      expect(JSON.parse(exchange.body).detail).toBe('the request body did not arrive within 300 ms');
      expect(server.entries).toContainEqual(expect.objectContaining({ msg: 'request', path: '/api/v1/chat', status: 408, level: 'info' }));
    } finally {
      await server.close();
    }
  });

  it('chunked body that stops halfway (read by the body limit): 408', async () => {
    const server = await listen({ REQUEST_BODY_TIMEOUT_MS: '300' });
    try {
      const encoded = chunked(body);
      await expect408(await slowRequest(server.port, head(accessToken(1), 'Transfer-Encoding: chunked'), encoded, { first: 20, stall: true }));
    } finally {
      await server.close();
    }
  });

  it('still 408, not a 5xx, when the whole request deadline passes first while the body is arriving', async () => {
    const server = await listen({ REQUEST_TIMEOUT_MS: '300', REQUEST_BODY_TIMEOUT_MS: '60000' });
    try {
      const exchange = await slowRequest(server.port, head(accessToken(1), `Content-Length: ${Buffer.byteLength(body)}`), body, { first: 5, stall: true });
      await expect408(exchange);
      expect(JSON.parse(exchange.body).detail).toBe('the request body did not arrive within 300 ms');
    } finally {
      await server.close();
    }
  });

  it('a client without a valid token is refused at once: its slow body is never waited for', async () => {
    const server = await listen({ REQUEST_BODY_TIMEOUT_MS: '60000' });
    try {
      const exchange = await slowRequest(server.port, `${head(null, `Content-Length: ${Buffer.byteLength(body)}`)}\r\nConnection: close`, body, { first: 5, stall: true });
      expect(exchange.status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('a body that arrives in time is answered as usual', async () => {
    const server = await listen({ REQUEST_BODY_TIMEOUT_MS: '10000' });
    try {
      const exchange = await slowRequest(server.port, `${head(accessToken(1), `Content-Length: ${Buffer.byteLength(body)}`)}\r\nConnection: close`, body, {
        first: Buffer.byteLength(body),
      });
      expect(exchange.status).toBe(200);
      expect(JSON.parse(exchange.body)).toMatchObject({ fuente: 'database', proyecto: 'dashboard_miempresa' });
    } finally {
      await server.close();
    }
  });
});
