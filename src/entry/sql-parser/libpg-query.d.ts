// The two files of the libpg-query package that the Worker's parser module imports directly.

/** The Emscripten glue (untyped; src/services/guarded-sql/wasm-parser.ts describes what it uses). */
declare module 'libpg-query/wasm/libpg-query.js' {
  const factory: unknown;
  export default factory;
}

/** On Workers a CompiledWasm module: the compiled WebAssembly.Module. */
declare module 'libpg-query/wasm/libpg-query.wasm' {
  const wasm: WebAssembly.Module;
  export default wasm;
}
