import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanEnv, runProcess } from './support/processes.js';

let outdir = '';
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'chat-api-worker-')); // not at import: listing the tests would leave it behind
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const WRANGLER = join('node_modules', '.bin', 'wrangler');
/** wrangler's warning for a Node built-in it left out of the bundle (it warns and still exits 0). */
const BUILT_INTO_NODE = /The package "([^"]+)" wasn't found on the file system but is built into node/g;

type Bundle = {
  gzipKiB: number;
  /** wrangler's own output, for failure messages. */
  output: string;
  /** Imports esbuild left out of the bundle for the runtime to provide, from wrangler's metafile. */
  external: string[];
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
  const file = join(dir, `${basename(entry, '.ts')}.js`);
  const meta = JSON.parse(readFileSync(metafile, 'utf8')) as { outputs: Record<string, { imports?: { path: string; external?: boolean }[] }> };
  const [, bundled] = Object.entries(meta.outputs).find(([name]) => name.endsWith(`/${basename(file)}`)) ?? [];
  expect(bundled, `no ${basename(file)} in the metafile:\n${output}`).toBeDefined();
  return {
    gzipKiB: gzipSync(readFileSync(file)).length / 1024,
    output,
    external: [...new Set((bundled!.imports ?? []).filter((i) => i.external).map((i) => i.path))].sort(),
    warnedBuiltins: [...output.matchAll(BUILT_INTO_NODE)].map((m) => m[1]!).sort(),
  };
}

/**
 * What a Worker without nodejs_compat cannot load: every import left outside the bundle, except
 * the runtime's own `cloudflare:` modules, plus every Node built-in wrangler warned about.
 */
const unavailableWithoutNodejsCompat = ({ external, warnedBuiltins }: Bundle) =>
  [...new Set([...external.filter((path) => !path.startsWith('cloudflare:')), ...warnedBuiltins])].sort();

it('bundles the Worker without nodejs_compat, within 300 KiB gzip, with nothing left for Node to provide', async () => {
  const worker = await bundle(['--env', ''], join(outdir, 'neon'), 'src/entry/worker.ts');
  console.log(`Worker bundle: ${worker.gzipKiB.toFixed(1)} KiB gzip`);
  expect(worker.gzipKiB).toBeLessThanOrEqual(300);
  // wrangler only warns about a node: import (and exits 0); workerd would then fail at runtime.
  expect(unavailableWithoutNodejsCompat(worker), worker.output).toEqual([]);
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
    expect(probe.external).toEqual(['node:fs', 'node:path']);
    expect(probe.warnedBuiltins).toEqual(['node:fs', 'node:path']);
    expect(unavailableWithoutNodejsCompat(probe)).toEqual(['node:fs', 'node:path']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

it('bundles the Hyperdrive variant (nodejs_compat, node-postgres)', async () => {
  const hyperdrive = await bundle(['--env', 'hyperdrive'], join(outdir, 'hyperdrive'), 'src/entry/worker-hyperdrive.ts');
  console.log(`Hyperdrive Worker bundle: ${hyperdrive.gzipKiB.toFixed(1)} KiB gzip`);
  expect(hyperdrive.gzipKiB).toBeLessThanOrEqual(300);
}, 120_000);
