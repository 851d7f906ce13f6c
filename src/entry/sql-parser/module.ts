// The Worker's separate parser module: not part of the Worker's main bundle. scripts/build-worker-parser.mjs
// builds it (run by wrangler's [build] command) into worker-module.mjs beside the package's
// libpg-query.wasm; wrangler uploads both as modules of their own (find_additional_modules,
// [[rules]] in wrangler.toml) and src/entry/worker-runtime.ts imports it on first use.
import factory from 'libpg-query/wasm/libpg-query.js';
import wasm from 'libpg-query/wasm/libpg-query.wasm';
import type { SqlParser } from '../../services/guarded-sql/parser.js';
import { createWasmSqlParser, type LibpgQueryFactory } from '../../services/guarded-sql/wasm-parser.js';

/** Instantiates PostgreSQL's parser (1.7 MB of WebAssembly) in this isolate. */
export function createSqlParser(): Promise<SqlParser> {
  return createWasmSqlParser(factory as LibpgQueryFactory, wasm);
}
