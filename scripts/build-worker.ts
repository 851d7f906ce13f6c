// npm run build:worker [-- --env hyperdrive]: the Worker exactly as `wrangler deploy` would upload
// it, written to dist/ (`wrangler deploy --dry-run`), then its two sizes: the main bundle alone, and
// everything uploaded (the main bundle, the SQL parser's module and its WebAssembly).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeUpload, MAIN_BUDGET_KIB, measureUpload, UPLOAD_BUDGET_KIB } from './worker-upload.js';

const args = process.argv.slice(2);
const envIndex = args.findIndex((a) => a === '--env' || a === '-e');
const env = envIndex >= 0 ? (args[envIndex + 1] ?? '') : (args.find((a) => a.startsWith('--env='))?.slice('--env='.length) ?? '');
const outdir = 'dist';

rmSync(outdir, { recursive: true, force: true }); // only this build's files, so only they are measured
const wrangler = spawnSync(join('node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', outdir, ...(envIndex >= 0 || env ? args : ['--env', '', ...args])], {
  stdio: 'inherit',
  env: { ...process.env, WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? 'false' },
});
if (wrangler.status !== 0) process.exit(wrangler.status ?? 1);

const main = env === 'hyperdrive' ? 'worker-hyperdrive.js' : 'worker.js';
const sizes = measureUpload(outdir, main);
console.log(`\n${describeUpload(main, sizes)}`);
if (sizes.mainGzipKiB > MAIN_BUDGET_KIB || sizes.totalGzipKiB > UPLOAD_BUDGET_KIB) {
  console.error('Over budget (test/worker-bundle.test.ts enforces these).');
  process.exit(1);
}
