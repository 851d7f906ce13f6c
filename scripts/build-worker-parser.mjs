// Builds the Worker's PostgreSQL parser as a module of its own, beside (not inside) the Worker's
// main bundle: src/entry/sql-parser/module.ts → src/entry/sql-parser/worker-module.mjs, plus the
// package's libpg-query.wasm copied next to it. wrangler.toml runs this as its [build] command
// (before every `wrangler dev` and `wrangler deploy`) and uploads both files as separate modules
// (find_additional_modules, [[rules]]); src/entry/worker-runtime.ts imports the module on first use.
//
// Plain JavaScript so that wrangler can run it with node alone. Files are replaced only when
// their content changed, through a rename, so concurrent builds and `wrangler dev`'s watcher
// (which reruns this on any change under src/) see either the old or the new file, never half of one.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'src', 'entry', 'sql-parser');
const require = createRequire(import.meta.url);
const GLUE = require.resolve('libpg-query/wasm/libpg-query.js');
const WASM = require.resolve('libpg-query/wasm/libpg-query.wasm');
const WASM_IMPORT = './libpg-query.wasm';

/**
 * The Emscripten glue picks its environment at run time: Node when `process.versions.node` exists
 * (workerd has it with nodejs_compat, and the Node branch needs require and __dirname), a web
 * worker when `WorkerGlobalScope` exists (that branch reads `self.location`, which workerd lacks).
 * In the Worker it needs neither: the WebAssembly instance comes from `instantiateWasm`. So the
 * build reads both as undefined, in this module only, and refuses a glue that detects its
 * environment differently (another libpg-query version) rather than build something untested.
 */
const ENVIRONMENT_CHECKS = ['ENVIRONMENT_IS_NODE=globalThis.process?.versions?.node', 'ENVIRONMENT_IS_WORKER=!!globalThis.WorkerGlobalScope'];
const DEFINE = { 'globalThis.process': 'undefined', 'globalThis.WorkerGlobalScope': 'undefined' };

/**
 * What the built module may still import: the WebAssembly module beside it, and the two Node
 * built-ins the glue `require`s inside its Node branch (node:fs for reading the .wasm file,
 * node:crypto for random bytes), which the build above made unreachable. They stay runtime
 * `require` calls, which throw if ever reached, never `import` statements (which workerd would
 * refuse to load without nodejs_compat).
 */
const ALLOWED_IMPORTS = [
  { path: WASM_IMPORT, kind: 'import-statement' },
  { path: 'node:crypto', kind: 'require-call' },
  { path: 'node:fs', kind: 'require-call' },
];

const glue = readFileSync(GLUE, 'utf8');
for (const check of ENVIRONMENT_CHECKS) {
  if (!glue.includes(check)) throw new Error(`${GLUE} no longer contains "${check}": check how it detects its environment before building it for Workers`);
}

const result = await esbuild.build({
  entryPoints: [join(outdir, 'module.ts')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  write: false,
  metafile: true,
  logLevel: 'warning',
  outfile: join(outdir, 'worker-module.mjs'),
  define: DEFINE,
  external: ['node:fs', 'node:crypto'],
  plugins: [
    {
      name: 'wasm-beside',
      setup(build) {
        // The .wasm stays a module of its own, imported from beside this one.
        build.onResolve({ filter: /\.wasm$/ }, () => ({ path: WASM_IMPORT, external: true }));
      },
    },
  ],
});

const [output] = result.outputFiles;
const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map(({ path, kind }) => ({ path, kind })));
const key = (i) => `${i.kind} ${i.path}`;
const unexpected = imports.filter((i) => !ALLOWED_IMPORTS.some((a) => key(a) === key(i)));
if (unexpected.length > 0) throw new Error(`the Worker's parser module would import ${unexpected.map(key).join(', ')}`);
if (/globalThis\.(process|WorkerGlobalScope)\b/.test(output.text)) throw new Error('the glue still reads globalThis.process or WorkerGlobalScope');

writeIfChanged(output.path, output.contents);
writeIfChanged(join(outdir, 'libpg-query.wasm'), readFileSync(WASM));

function writeIfChanged(path, contents) {
  if (existsSync(path) && Buffer.compare(readFileSync(path), Buffer.from(contents)) === 0) return;
  const temporary = `${path}.${randomUUID()}.tmp`; // matches none of wrangler's module rules
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}
