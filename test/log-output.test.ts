import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const CHILD = new URL('./fixtures/log-child.ts', import.meta.url).pathname;
const TSX = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;

/**
 * Runs the child, reading its stdout only once it is asked to stop (a reader that lags behind,
 * so the pipe fills up and lines wait in the log's buffer), and returns the numbered lines it got.
 */
async function run(lines: number, mode: 'exit' | 'sigterm'): Promise<number[]> {
  const child = spawn(TSX, [CHILD, String(lines), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout.pause();
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (mode === 'sigterm') {
    await new Promise<void>((resolve) => child.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
    child.kill('SIGTERM');
  }
  child.stdout.resume();
  expect(await exited).toBe(0);
  await new Promise((resolve) => (child.stdout.readableEnded ? resolve(undefined) : child.stdout.once('end', resolve)));
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { i: number }).i);
}

// 6,000 lines of ~190 bytes: over 1 MB, far beyond a pipe's 64 KiB, within the log's 4 MiB buffer and
// small enough to drain within close()'s 2 s on a busy machine.
describe('the batched stdout log at shutdown', () => {
  it('writes every line when the process exits in the same tick it logged them', async () => {
    expect(await run(6_000, 'exit')).toEqual([...Array(6_000).keys()]);
  });

  it('writes every line on SIGTERM, waiting for a slow reader', async () => {
    expect(await run(6_000, 'sigterm')).toEqual([...Array(6_000).keys()]);
  });
});
