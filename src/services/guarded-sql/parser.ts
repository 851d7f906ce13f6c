/**
 * PostgreSQL's own parser (libpg_query compiled to WebAssembly), behind a small interface so that
 * the guard stays portable and each runtime decides how (and whether) to load the WASM module:
 * `loadSqlParser()` in ./load-parser.ts for Node, Bun and Deno.
 */

/** Parses SQL exactly as PostgreSQL does; returns libpg_query's JSON parse tree, throws on a syntax error. */
export interface SqlParser {
  parse(sql: string): unknown;
}
