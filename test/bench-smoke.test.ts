import { expect, it } from 'vitest';
import { cleanEnv, runProcess } from './support/processes.js';

// Keeps `npm run bench` and `npm run loadtest` working; the bench's figures are printed, never asserted.
it('runs the benchmark end to end in smoke mode and prints every figure', async () => {
  const { code, output } = await runProcess('npm', ['run', '--silent', 'bench', '--', '--smoke'], cleanEnv());
  expect(code, output).toBe(0);
  for (const figure of [
    /Machine: \d+ × .+, Node v/,
    /raw limit, seed query \(pgbench, c=10\)\s+\d+/,
    /raw, new connection per query \(pgbench -C\)\s+\d+/,
    /Node: seed question \(c=32\)\s+\d+ .+ %\s+service [\d.]+ ms, PostgreSQL [\d.]+ ms/,
    /Node: seed question, result cache 1 s\s+\d+/,
    /Bun: seed question \(c=32\)\s+\d+ .+ %\s+service [\d.]+ ms/,
    /raw limit, mixed query mix \(pgbench, \d+ statements\)\s+\d+/,
    /Node: mixed \(5 users, 3 projects, 20 % follow-ups\)\s+\d+/,
    /Worker \(neon, wrangler dev\): seed question\s+\d+/,
    /Worker \(hyperdrive, wrangler dev\): seed question\s+\d+/,
    /Worker \(neon, Miniflare\): seed question\s+\d+/,
    /Worker \(hyperdrive, Miniflare\): seed question\s+\d+/,
    /Worker \(neon, Miniflare, WebSocket only\): seed question\s+\d+/,
    /Node: \/health \(c=32\)\s+\d+/,
    /Worker \(neon, wrangler dev\): \/health\s+\d+/,
    /Worker \(neon, Miniflare\): \/health\s+\d+/,
    /service \/ raw limit\s+[\d.]+ %/,
    /mixed \/ raw limit of its mix\s+[\d.]+ %/,
    /service p99\s+[\d.]+ ms/,
    /service CPU per request\s+[\d.]+ ms/,
    /Bun \/ Node throughput\s+[\d.]+ %/,
    /token \+ matching CPU\s+[\d.]+ ms/,
    /service RSS under load\s+[\d.]+ MiB/,
    /process start → first 200\s+\d+ ms/,
    /service CPU by part .*HTTP [\d.]+ ms.*auth [\d.]+ ms.*matching [\d.]+ ms.*database driver [\d.]+ ms.*logging [\d.]+ ms/,
    /Worker \(neon, wrangler dev\) \/ Node\s+[\d.]+ % of Node's req\/s/,
    /Worker \(hyperdrive, wrangler dev\) \/ Node\s+[\d.]+ % of Node's req\/s/,
    /Worker \(neon, Miniflare\) \/ Node\s+[\d.]+ % of Node's req\/s/,
    /workerd \(the Worker\) [\d.]+ ms/,
    /Worker bundle\s+[\d.]+ KiB gzip/,
  ]) {
    expect(output).toMatch(figure);
  }
}, 300_000);

// The load test's own verdict is behavioural (no 5xx, every request in its class), so it is asserted.
it('runs the mixed load test in smoke mode: no 5xx and every request in its expected class', async () => {
  const { code, output } = await runProcess('npm', ['run', '--silent', 'loadtest', '--', '--smoke'], cleanEnv());
  expect(code, output).toBe(0);
  expect(output).toMatch(/good question\s+300\s+300\s+0\s+0\s+0/);
  expect(output).toMatch(/OK: no 5xx, no errors, every request in its expected class, no lost message/);
  expect(output).toMatch(/conversation messages: 300 questions and 300 answers stored for 300 answered requests \(0 lost\)/);
}, 120_000);
