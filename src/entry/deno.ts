import { prepareStandalone, reportStartupFailure } from './standalone.js';

// npm run start:deno: the API on Deno.
declare const Deno: {
  env: { toObject(): Record<string, string> };
  serve(
    options: { port: number; hostname: string; onListen?: (address: { hostname: string; port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
  exit(code: number): never;
};

try {
  const server = await prepareStandalone(Deno.env.toObject());
  Deno.serve(
    {
      port: server.port,
      hostname: server.host,
      onListen: ({ hostname, port }) => void server.announce(`http://${hostname}:${port}`).then((text) => console.log(text)),
    },
    server.app.fetch,
  );
} catch (error) {
  reportStartupFailure(error);
  Deno.exit(1);
}
