import { loadOnce } from './parser.js';

/**
 * The libpg-query package (PostgreSQL 18's grammar; 1.7 MB of WebAssembly, about 340 KiB gzip),
 * loaded once, on first use. For Node, Bun and Deno, where the package reads its .wasm file from
 * node_modules. Import this module only from code that runs there (an entry, the app's setup):
 * the guard and the executor take the parser as an argument, so a bundle that never imports
 * this file (the Worker) does not carry the parser. A failed load is retried by the next caller.
 */
export const loadSqlParser = loadOnce(async () => {
  const module = await import('libpg-query');
  await module.loadModule();
  return { parse: (sql: string) => module.parseSync(sql) };
});
