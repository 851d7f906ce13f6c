import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';
import { cleanEnv, runProcess } from './support/processes.js';

const outdir = mkdtempSync(join(tmpdir(), 'chat-api-worker-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Builds one Worker variant with wrangler and returns its gzip size; the file is named after its entry. */
async function bundle(extraArgs: string[], dir: string, file: string): Promise<number> {
  const { code, output } = await runProcess('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', dir, ...extraArgs], cleanEnv({ WRANGLER_SEND_METRICS: 'false' }));
  expect(code, output).toBe(0);
  return gzipSync(readFileSync(join(dir, file))).length / 1024;
}

// Bundling without nodejs_compat fails on any Node-only import that reaches the Worker.
it('bundles the Worker without nodejs_compat, within 300 KiB gzip', async () => {
  const gzipKiB = await bundle([], join(outdir, 'neon'), 'worker.js');
  console.log(`Worker bundle: ${gzipKiB.toFixed(1)} KiB gzip`);
  expect(gzipKiB).toBeLessThanOrEqual(300);
}, 120_000);

it('bundles the Hyperdrive variant (nodejs_compat, node-postgres)', async () => {
  const gzipKiB = await bundle(['--env', 'hyperdrive'], join(outdir, 'hyperdrive'), 'worker-hyperdrive.js');
  console.log(`Hyperdrive Worker bundle: ${gzipKiB.toFixed(1)} KiB gzip`);
  expect(gzipKiB).toBeLessThanOrEqual(300);
}, 120_000);
