import { prepareStandalone, reportStartupFailure } from './standalone.js';

// npm run start:bun: the API on Bun.
declare const Bun: {
  serve(options: { fetch: (request: Request) => Response | Promise<Response>; port: number; hostname: string }): { port: number; hostname: string };
};

try {
  const server = await prepareStandalone(process.env);
  const listener = Bun.serve({ fetch: server.app.fetch, port: server.port, hostname: server.host });
  console.log(await server.announce(`http://${listener.hostname}:${listener.port}`));
} catch (error) {
  reportStartupFailure(error);
  process.exit(1);
}
