import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAIN_BUDGET_KIB, measureUpload, UPLOAD_BUDGET_KIB, type UploadSizes } from '../scripts/worker-upload.js';
import { cleanEnv, runProcess } from './support/processes.js';

let outdir = '';
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'chat-api-worker-')); // not at import: listing the tests would leave it behind
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const WRANGLER = join('node_modules', '.bin', 'wrangler');
/** wrangler's warning for a Node built-in it left out of the bundle (it warns and still exits 0). */
const BUILT_INTO_NODE = /The package "([^"]+)" wasn't found on the file system but is built into node/g;

/** The SQL parser's module: the one import the main bundle may leave to the upload, and only as a dynamic import. */
const PARSER_MODULE = './sql-parser/worker-module.mjs';
/** What wrangler uploads besides the main bundle: the parser module and its WebAssembly. */
const PARSER_FILES = ['sql-parser/libpg-query.wasm', 'sql-parser/worker-module.mjs'];

type Bundle = {
  /** The main bundle and everything uploaded, gzip. */
  sizes: UploadSizes;
  /** wrangler's own "Total Upload: … / gzip: … KiB" figure. */
  wranglerGzipKiB: number;
  /** wrangler's own output, for failure messages. */
  output: string;
  /** Imports esbuild left out of the main bundle for the runtime (or the upload) to provide, from wrangler's metafile. */
  external: { path: string; kind: string }[];
  /** The Node built-ins wrangler warned about. */
  warnedBuiltins: string[];
};

/**
 * Builds a Worker with wrangler and this project's wrangler.toml (`deploy --dry-run`), with a
 * metafile: `extraArgs` pick the environment or another entry; the output file is named after the entry.
 */
async function bundle(extraArgs: string[], dir: string, entry: string): Promise<Bundle> {
  const metafile = join(dir, 'meta.json');
  const { code, output } = await runProcess(WRANGLER, ['deploy', '--dry-run', '--outdir', dir, '--metafile', metafile, ...extraArgs], cleanEnv({ WRANGLER_SEND_METRICS: 'false' }));
  expect(code, output).toBe(0);
  const main = `${basename(entry, '.ts')}.js`;
  const meta = JSON.parse(readFileSync(metafile, 'utf8')) as { outputs: Record<string, { imports?: { path: string; kind: string; external?: boolean }[] }> };
  const [, bundled] = Object.entries(meta.outputs).find(([name]) => name.endsWith(`/${main}`)) ?? [];
  expect(bundled, `no ${main} in the metafile:\n${output}`).toBeDefined();
  const external = new Map((bundled!.imports ?? []).filter((i) => i.external).map(({ path, kind }) => [`${kind} ${path}`, { path, kind }]));
  const total = /Total Upload: [\d.]+ KiB \/ gzip: ([\d.]+) KiB/.exec(output.replace(/\x1b\[[0-9;]*m/g, ''));
  expect(total, output).not.toBeNull();
  return {
    sizes: measureUpload(dir, main, ['meta.json']),
    wranglerGzipKiB: Number(total![1]),
    output,
    external: [...external.values()].sort((a, b) => a.path.localeCompare(b.path)),
    warnedBuiltins: [...output.matchAll(BUILT_INTO_NODE)].map((m) => m[1]!).sort(),
  };
}

/**
 * What a Worker without nodejs_compat cannot load: every import left outside the main bundle,
 * except the runtime's own `cloudflare:` modules and the dynamic import of the parser module
 * that wrangler uploads beside it, plus every Node built-in wrangler warned about.
 */
const unavailableWithoutNodejsCompat = ({ external, warnedBuiltins }: Bundle) =>
  [
    ...new Set([
      ...external.filter(({ path, kind }) => !path.startsWith('cloudflare:') && !(path === PARSER_MODULE && kind === 'dynamic-import')).map((i) => i.path),
      ...warnedBuiltins,
    ]),
  ].sort();

/** Every import of an ES module file (static, dynamic, require), read by esbuild. */
async function importsOf(file: string): Promise<string[]> {
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    logLevel: 'silent',
    plugins: [{ name: 'all-external', setup: (b) => b.onResolve({ filter: /.*/ }, (a) => (a.kind === 'entry-point' ? undefined : { path: a.path, external: true })) }],
  });
  return Object.values(result.metafile.outputs).flatMap((o) => o.imports.map(({ path, kind }) => `${kind} ${path}`)).sort();
}

/** Both budgets, and our measure of the upload agrees with wrangler's. */
function expectWithinBudgets(name: string, { sizes, wranglerGzipKiB, output }: Bundle) {
  console.log(`${name}: main bundle ${sizes.mainGzipKiB.toFixed(1)} KiB gzip, everything uploaded ${sizes.totalGzipKiB.toFixed(1)} KiB gzip`);
  expect(sizes.modules.map((m) => m.name), output).toEqual(PARSER_FILES);
  expect(Math.abs(sizes.totalGzipKiB - wranglerGzipKiB), output).toBeLessThan(0.1);
  expect(sizes.mainGzipKiB).toBeLessThanOrEqual(MAIN_BUDGET_KIB);
  expect(sizes.totalGzipKiB).toBeLessThanOrEqual(UPLOAD_BUDGET_KIB);
}

it('bundles the Worker without nodejs_compat within budget (main ≤ 300 KiB, everything uploaded ≤ 1 MiB gzip), with nothing left for Node to provide', async () => {
  const dir = join(outdir, 'neon');
  const worker = await bundle(['--env', ''], dir, 'src/entry/worker.ts');
  expectWithinBudgets('Worker', worker);
  // wrangler only warns about a node: import (and exits 0); workerd would then fail at runtime.
  expect(unavailableWithoutNodejsCompat(worker), worker.output).toEqual([]);
  // The parser is not in the main bundle: imported from it on first use, and only there.
  expect(worker.external.filter((i) => i.path === PARSER_MODULE), worker.output).toEqual([{ path: PARSER_MODULE, kind: 'dynamic-import' }]);
  expect(readFileSync(join(dir, 'worker.js'), 'utf8')).not.toContain('_wasm_parse_query_raw');
  // The parser module imports its WebAssembly and nothing else. The glue's two Node built-ins are
  // left as names passed to esbuild's `require` stand-in (it throws if ever called), in the glue's
  // Node branch, which the build made unreachable (it reads process as undefined).
  const parserModule = join(dir, 'sql-parser', 'worker-module.mjs');
  const parserText = readFileSync(parserModule, 'utf8');
  expect(await importsOf(parserModule)).toEqual(['import-statement ./libpg-query.wasm']);
  expect([...new Set(parserText.match(/["'`]node:[\w/]+["'`]/g))].sort()).toEqual(['"node:crypto"', '"node:fs"']);
  expect(parserText).toContain('Dynamic require of');
  expect(parserText).not.toMatch(/globalThis\.(process|WorkerGlobalScope)\b/);
}, 120_000);

it('flags a Node-only import that wrangler bundles with only a warning (the check above can fail)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-api-node-only-'));
  try {
    const entry = join(dir, 'node-only.ts');
    writeFileSync(
      entry,
      "import { readFileSync } from 'node:fs';\n" +
        "export default { async fetch() { const { sep } = await import('node:path'); return new Response(typeof readFileSync + sep); } };\n",
    );
    // The same wrangler.toml (top-level Worker: no nodejs_compat), only the entry differs.
    const probe = await bundle(['--config', resolve('wrangler.toml'), '--env', '', entry], join(dir, 'out'), entry);
    expect(probe.external.map((i) => i.path)).toEqual(['node:fs', 'node:path']);
    expect(probe.warnedBuiltins).toEqual(['node:fs', 'node:path']);
    expect(unavailableWithoutNodejsCompat(probe)).toEqual(['node:fs', 'node:path']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

it('bundles the Hyperdrive variant (nodejs_compat, node-postgres) within the same budgets, with the same parser module', async () => {
  const hyperdrive = await bundle(['--env', 'hyperdrive'], join(outdir, 'hyperdrive'), 'src/entry/worker-hyperdrive.ts');
  expectWithinBudgets('Hyperdrive Worker', hyperdrive);
  expect(hyperdrive.external.filter((i) => i.path === PARSER_MODULE)).toEqual([{ path: PARSER_MODULE, kind: 'dynamic-import' }]);
}, 120_000);
