import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { spreadHeavyFiles } from './test/support/sequencer.js';

/**
 * Pure suites: no PostgreSQL (server or embedded), no Redis, no child process, no local server.
 * They run in seconds without any service (`npm run test:unit`). Every other file, including any
 * new one, is an integration suite: the safe default, with the global setup that finds (or
 * starts) PostgreSQL and Redis.
 */
const UNIT = [
  'test/docs.test.ts',
  'test/knowledge.chunk.test.ts',
  'test/matcher.test.ts',
  'test/openapi.test.ts',
  'test/portability.test.ts',
  'test/ratelimit.memory.test.ts',
  'test/sql-guard.test.ts',
];

/**
 * Integration files that start servers, browsers, bundlers or load generators: each can keep two
 * cores busy by itself, so the sequencer never runs two of them at once while others wait.
 */
const HEAVY = [
  'test/bench-smoke.test.ts',
  'test/faults.test.ts',
  'test/node-entry.test.ts',
  'test/runtimes.test.ts',
  'test/ui.e2e.test.ts',
  'test/worker-bundle.test.ts',
  'test/worker.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // vitest's default is one worker fewer than the cores: a single worker on a 2-core machine,
    // idle whenever its file waits for PostgreSQL, a child process or a timer. One per core.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: spreadHeavyFiles(HEAVY) },
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
