import { expect, it } from 'vitest';
import { cleanEnv, runProcess } from './support/processes.js';

// Keeps `npm run bench` and `npm run loadtest` working; the bench's figures are printed, never asserted.
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

// The load test's own verdict is behavioural (no 5xx, every request in its class), so it is asserted.
it('runs the mixed load test in smoke mode: no 5xx and every request in its expected class', async () => {
  const { code, output } = await runProcess('npm', ['run', '--silent', 'loadtest', '--', '--smoke'], cleanEnv());
  expect(code, output).toBe(0);
  expect(output).toMatch(/good question\s+300\s+300\s+0\s+0\s+0/);
  expect(output).toMatch(/OK: no 5xx, no errors, every request in its expected class, no lost message/);
  expect(output).toMatch(/conversation messages: 300 questions and 300 answers stored for 300 answered requests \(0 lost\)/);
}, 120_000);
