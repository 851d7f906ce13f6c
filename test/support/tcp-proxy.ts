import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

/**
 * A TCP proxy between the app and PostgreSQL that a test controls: forward traffic, refuse
 * new connections (database down), swallow traffic (database hung), or cut every open link.
 */
export class TcpProxy {
  mode: ProxyMode = 'forward';
  /** Added to every reply from the server (in order): a database a few milliseconds away. */
  replyDelayMs = 0;
  private server: Server | undefined;
  private readonly links = new Set<Socket>();

  constructor(private readonly target: { host: string; port: number }) {}

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  async start(): Promise<this> {
    this.server = createServer((client) => {
      if (this.mode === 'refuse') {
        client.destroy();
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.links.add(socket);
        socket.on('close', () => this.links.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // Data flows only while forwarding; in blackhole mode it is read and dropped.
      client.on('data', (chunk) => this.mode === 'forward' && upstream.write(chunk));
      upstream.on('data', (chunk) => {
        if (this.mode !== 'forward') return;
        if (this.replyDelayMs > 0) setTimeout(() => client.write(chunk), this.replyDelayMs);
        else client.write(chunk);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** Drops every open connection, as a database restart or a network cut would. */
  cut(): void {
    for (const socket of this.links) socket.destroy();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
