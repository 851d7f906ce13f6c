import { getConnInfo } from 'hono/bun';
import { listenProblem, prepareStandalone, reportStartupFailure } from './standalone.js';

// npm run start:bun: the API on Bun.
declare const Bun: {
  serve(options: { fetch: (request: Request, server: unknown) => Response | Promise<Response>; port: number; hostname: string }): { port: number; hostname: string };
};

try {
  const server = await prepareStandalone(process.env, { clientAddress: (c) => getConnInfo(c).remote.address });
  let listener: { port: number; hostname: string };
  try {
    // Bun passes the server as fetch's second argument: the app's env, where getConnInfo finds requestIP.
    listener = Bun.serve({ fetch: server.app.fetch, port: server.port, hostname: server.host });
  } catch (error) {
    await server.db.close();
    throw listenProblem(error, server.port, server.host);
  }
  console.log(await server.announce(`http://${listener.hostname}:${listener.port}`));
  // The log is written in batches: write the last lines before leaving.
  const shutdown = () => void server.flushLog().finally(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  reportStartupFailure(error);
  process.exit(1);
}
