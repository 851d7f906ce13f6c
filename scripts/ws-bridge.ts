import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData } from 'ws';

export type Bridge = { url: string; port: number; close(): Promise<void> };

/**
 * A WebSocket → TCP bridge for Neon's serverless driver against an ordinary PostgreSQL:
 * the driver opens `ws://<bridge>/v1?address=<host>:<port>` and the bridge pipes the
 * PostgreSQL wire protocol to that address. For local development and tests only: it
 * listens on loopback and forwards only to loopback addresses (or `allowedTargets`).
 */
export async function startBridge({ port = 0, allowedTargets }: { port?: number; allowedTargets?: string[] } = {}): Promise<Bridge> {
  const server = new WebSocketServer({ host: '127.0.0.1', port, path: '/v1' });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
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

  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `ws://127.0.0.1:${actual}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
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
