import { getConnInfo } from 'hono/deno';
import { listenProblem, prepareStandalone, reportStartupFailure } from './standalone.js';

// npm run start:deno: the API on Deno.
declare const Deno: {
  env: { toObject(): Record<string, string> };
  serve(
    options: { port: number; hostname: string; onListen?: (address: { hostname: string; port: number }) => void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): unknown;
  exit(code: number): never;
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
};

try {
  const server = await prepareStandalone(Deno.env.toObject(), { clientAddress: (c) => getConnInfo(c).remote.address });
  try {
    // Deno passes the connection's info (remoteAddr) as the handler's second argument: the app's env.
    Deno.serve(
      {
        port: server.port,
        hostname: server.host,
        onListen: ({ hostname, port }) => void server.announce(`http://${hostname}:${port}`).then((text) => console.log(text)),
      },
      server.app.fetch,
    );
  } catch (error) {
    await server.db.close();
    throw listenProblem(error, server.port, server.host);
  }
  // The log is written in batches: write the last lines before leaving.
  const shutdown = () => void server.flushLog().finally(() => Deno.exit(0));
  Deno.addSignalListener('SIGINT', shutdown);
  Deno.addSignalListener('SIGTERM', shutdown);
} catch (error) {
  reportStartupFailure(error);
  Deno.exit(1);
}
