import { expect, it } from 'vitest';
import { cleanEnv, runProcess } from './support/processes.js';

// Keeps `npm run bench` working; its figures are printed, never asserted.
it('runs the benchmark end to end in smoke mode and prints every figure', async () => {
  const { code, output } = await runProcess('npm', ['run', '--silent', 'bench', '--', '--smoke'], cleanEnv());
  expect(code, output).toBe(0);
  for (const figure of [
    /service \(HTTP, c=32\)\s+\d+/,
    /raw limit \(pgbench, c=10\)\s+\d+/,
    /service, result cache 1 s\s+\d+/,
    /service errors: 0, non-2xx: 0/,
    /service \/ raw limit\s+[\d.]+ %/,
    /service p99\s+[\d.]+ ms/,
    /token \+ matching CPU\s+[\d.]+ ms/,
    /service RSS under load\s+[\d.]+ MiB/,
    /process start → first 200\s+\d+ ms/,
    /Worker bundle\s+[\d.]+ KiB gzip/,
  ]) {
    expect(output).toMatch(figure);
  }
}, 120_000);
