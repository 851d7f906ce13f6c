/**
 * PostgreSQL's own parser (libpg_query compiled to WebAssembly), behind a small interface so that
 * the guard stays portable and each runtime decides how (and whether) to load the WASM module:
 * `loadSqlParser()` in ./load-parser.ts for Node, Bun and Deno; on Workers a separate module of
 * the upload, imported on first use (src/entry/worker-runtime.ts).
 */

/** Parses SQL exactly as PostgreSQL does; returns libpg_query's JSON parse tree, throws on a syntax error. */
export interface SqlParser {
  parse(sql: string): unknown;
}

/** A parser loaded on first use: every call resolves the same parser once it has loaded. */
export type SqlParserLoader = () => Promise<SqlParser>;

/**
 * Wraps `load` so that it runs once: concurrent and later callers share its promise. A failed
 * load is forgotten, so the next caller tries again (a transient failure does not stick).
 */
export function loadOnce(load: () => Promise<SqlParser>): SqlParserLoader {
  let loading: Promise<SqlParser> | undefined;
  return () => {
    if (!loading) {
      const attempt = (async () => load())(); // a synchronous throw becomes a failed load too
      loading = attempt;
      attempt.catch(() => {
        if (loading === attempt) loading = undefined;
      });
    }
    return loading;
  };
}
