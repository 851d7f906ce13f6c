import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { listenProblem, prepareStandalone, reportStartupFailure } from './standalone.js';

// npm start: the API on Node.
try {
  const server = await prepareStandalone(process.env, { clientAddress: (c) => getConnInfo(c).remote.address });
  const listener = serve({ fetch: server.app.fetch, port: server.port, hostname: server.host }, (info) => {
    const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
    void server.announce(`http://${host}:${info.port}`).then((text) => console.log(text));
  });
  listener.on('error', (error) => {
    if (listener.listening) return console.error(error);
    reportStartupFailure(listenProblem(error, server.port, server.host));
    void server.db.close().finally(() => process.exit(1));
  });
  const shutdown = () => {
    listener.close(() => void server.db.close().finally(() => server.flushLog().finally(() => process.exit(0))));
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  reportStartupFailure(error);
  process.exit(1);
}
