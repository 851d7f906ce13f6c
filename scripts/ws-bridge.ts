import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { WebSocketServer, type RawData } from 'ws';

export type Bridge = { url: string; httpUrl: string; port: number; close(): Promise<void> };

/** Distinct connection strings the SQL-over-HTTP endpoint keeps a pool for; more are refused. */
export const MAX_HTTP_POOLS = 8;
const HTTP_POOL_MAX = 10;
export const MAX_HTTP_BODY_BYTES = 1024 * 1024;

/**
 * A bridge for Neon's serverless driver against an ordinary PostgreSQL, on one loopback port:
 * - WebSocket → TCP: the driver opens `ws://<bridge>/v1?address=<host>:<port>` and the bridge
 *   pipes the PostgreSQL wire protocol to that address (the driver's Pool and Client);
 * - SQL over HTTP: `POST http://<bridge>/sql`, as Neon's endpoint answers the driver's `neon()`
 *   queries: one statement per request, run on a connection pooled here, as Neon pools them.
 * For local development and tests only: it listens on loopback and forwards only to loopback
 * addresses (or `allowedTargets`).
 */
export async function startBridge({ port = 0, allowedTargets }: { port?: number; allowedTargets?: string[] } = {}): Promise<Bridge> {
  const pools = new Map<string, pg.Pool>();
  const http = createServer((request, response) => {
    if (request.method === 'POST' && request.url?.split('?')[0] === '/sql') void answerSql(request, response, pools, allowedTargets);
    else response.writeHead(404).end();
  });
  const server = new WebSocketServer({ server: http, path: '/v1' });
  await new Promise<void>((resolve, reject) => {
    http.once('listening', resolve);
    http.once('error', reject);
    http.listen(port, '127.0.0.1');
  });

  server.on('connection', (socket, request) => {
    const address = new URL(request.url ?? '', 'ws://bridge').searchParams.get('address') ?? '';
    const target = parseTarget(address);
    if (!target || !isAllowed(target, allowedTargets)) {
      socket.close(1008, 'target not allowed');
      return;
    }
    const tcp = connect(target.port, target.host);
    const pending: Buffer[] = [];
    tcp.once('connect', () => {
      for (const chunk of pending.splice(0)) tcp.write(chunk);
    });
    socket.on('message', (data: RawData) => {
      const chunk = toBuffer(data);
      if (tcp.connecting) pending.push(chunk);
      else tcp.write(chunk);
    });
    tcp.on('data', (chunk) => socket.send(chunk, { binary: true }));
    tcp.on('close', () => socket.close());
    tcp.on('error', () => socket.close(1011, 'database connection failed'));
    socket.on('close', () => tcp.destroy());
    socket.on('error', () => tcp.destroy());
  });

  const actual = (http.address() as AddressInfo).port;
  return {
    port: actual,
    url: `ws://127.0.0.1:${actual}/v1`,
    httpUrl: `http://127.0.0.1:${actual}/sql`,
    close: async () => {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await Promise.all([...pools.values()].map((pool) => pool.end()));
    },
  };
}

// Rows as PostgreSQL's text (the driver parses them by type, as Neon's endpoint expects it to).
const rawText = { getTypeParser: () => (value: string) => value };

/** Neon's SQL-over-HTTP protocol, the part `neon()`'s single queries use. */
async function answerSql(request: IncomingMessage, response: ServerResponse, pools: Map<string, pg.Pool>, allowed: string[] | undefined): Promise<void> {
  const reply = (status: number, body: unknown): void => {
    response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  try {
    const connectionString = String(request.headers['neon-connection-string'] ?? '');
    const url = URL.canParse(connectionString) ? new URL(connectionString) : undefined;
    const target = url && parseTarget(`${url.hostname}:${url.port || '5432'}`);
    if (!target || !isAllowed(target, allowed)) return reply(400, { message: 'target not allowed' });
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_HTTP_BODY_BYTES) return reply(400, { message: 'request body too large' });
      chunks.push(chunk);
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query?: unknown; params?: unknown };
    if (typeof body.query !== 'string' || !Array.isArray(body.params)) return reply(400, { message: 'expected { query, params }' });
    let pool = pools.get(connectionString);
    if (!pool) {
      if (pools.size >= MAX_HTTP_POOLS) return reply(400, { message: 'too many distinct connection strings' });
      pool = new pg.Pool({ connectionString, max: HTTP_POOL_MAX });
      pool.on('error', () => {}); // an idle connection lost: the pool replaces it
      pools.set(connectionString, pool);
    }
    const result = await pool.query({ text: body.query, values: body.params, rowMode: 'array', types: rawText });
    reply(200, {
      command: result.command,
      rowCount: result.rowCount,
      fields: result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
      rows: result.rows,
    });
  } catch (error) {
    // PostgreSQL's error fields (code, detail, ...), as Neon's endpoint returns them with 400.
    const { message, code, detail, hint, severity, position } = error as Record<string, unknown>;
    reply(code ? 400 : 500, { message: String(message ?? error), code, detail, hint, severity, position });
  }
}

function parseTarget(address: string): { host: string; port: number } | null {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(address);
  if (!match) return null;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1]!.replace(/^\[|\]$/g, ''), port } : null;
}

function isAllowed(target: { host: string; port: number }, allowed: string[] | undefined): boolean {
  if (allowed) return allowed.includes(`${target.host}:${target.port}`);
  return target.host === 'localhost' || target.host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(target.host);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
