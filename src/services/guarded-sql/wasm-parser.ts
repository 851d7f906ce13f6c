import type { SqlParser } from './parser.js';

/** The parts of libpg-query's Emscripten module (`libpg-query/wasm/libpg-query.js`) the parser uses. */
export interface LibpgQueryModule {
  _malloc(size: number): number;
  _free(pointer: number): void;
  _wasm_parse_query_raw(query: number): number;
  _wasm_free_parse_result(result: number): void;
  lengthBytesUTF8(text: string): number;
  stringToUTF8(text: string, pointer: number, size: number): void;
  UTF8ToString(pointer: number): string;
  getValue(pointer: number, type: 'i32'): number;
}

/** `libpg-query/wasm/libpg-query.js`'s default export: the Emscripten module factory. */
export type LibpgQueryFactory = (options: {
  instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): object;
}) => Promise<LibpgQueryModule>;

/**
 * PostgreSQL's parser from an already compiled WebAssembly module, for runtimes where the
 * libpg-query package cannot fetch or read its .wasm file itself: Cloudflare Workers, where
 * a `.wasm` module of the upload is imported as a WebAssembly.Module.
 *
 *   import factory from 'libpg-query/wasm/libpg-query.js';
 *   import wasm from 'libpg-query/wasm/libpg-query.wasm';
 *   const parser = await createWasmSqlParser(factory, wasm);
 *
 * It calls the same exports, the same way, as the package's own parseSync (libpg-query
 * 18.1.5, pinned in package.json for that reason; test/unit/sql-guard.test.ts compares the two).
 * On Workers this runs inside a separate module (src/entry/sql-parser/), built with the
 * glue's environment checks fixed so that it never takes its Node or web-worker branch
 * (scripts/build-worker-parser.mjs): the WebAssembly instance comes from `instantiateWasm`.
 */
export async function createWasmSqlParser(factory: LibpgQueryFactory, wasm: WebAssembly.Module): Promise<SqlParser> {
  // Emscripten waits for `done` forever: a failed instantiation must fail the load instead.
  let failed: (error: unknown) => void = () => {};
  const instantiationFailed = new Promise<never>((_, reject) => {
    failed = reject;
  });
  const module = await Promise.race([
    factory({
      instantiateWasm(imports, done) {
        WebAssembly.instantiate(wasm, imports).then((instance) => done(instance, wasm), failed);
        return {};
      },
    }),
    instantiationFailed,
  ]);
  return { parse: (sql) => parseWith(module, sql) };
}

function parseWith(module: LibpgQueryModule, sql: string): unknown {
  if (sql === '') throw new Error('Query cannot be empty');
  const size = module.lengthBytesUTF8(sql) + 1;
  const query = module._malloc(size);
  let result = 0;
  try {
    module.stringToUTF8(sql, query, size);
    result = module._wasm_parse_query_raw(query);
    if (!result) throw new Error('Failed to parse query: memory allocation failed');
    // struct PgQueryParseResult { char *parse_tree; char *stderr_buffer; PgQueryError *error; }
    const tree = module.getValue(result, 'i32');
    const error = module.getValue(result + 8, 'i32');
    if (error) {
      const message = module.getValue(error, 'i32'); // PgQueryError.message
      throw new Error(message ? module.UTF8ToString(message) : 'Unknown error');
    }
    if (!tree) throw new Error('No parse tree generated');
    return JSON.parse(module.UTF8ToString(tree));
  } finally {
    module._free(query);
    if (result) module._wasm_free_parse_result(result);
  }
}
