import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { HEAVY_FILES } from './test/support/heavy-files.js';
import { spreadHeavyFiles } from './test/support/sequencer.js';

/**
 * Pure suites live in test/unit/: no PostgreSQL (server or embedded), no Redis, no child process,
 * no local server. They run in seconds without any service (`npm run test:unit`). Every other
 * file, including any new one outside test/unit/, is an integration suite: the safe default,
 * with the global setup that finds (or starts) PostgreSQL and Redis.
 */
const UNIT = ['test/unit/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // vitest's default is one worker fewer than the cores: a single worker on a 2-core machine,
    // idle whenever its file waits for PostgreSQL, a child process or a timer. One per core.
    maxWorkers: availableParallelism(),
    // Heavy files (test/support/heavy-files.ts) run one at a time, ordered to keep both workers busy.
    sequence: { sequencer: spreadHeavyFiles(HEAVY_FILES) },
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/one-heavy-file-at-a-time.ts'],
        },
      },
    ],
  },
});
