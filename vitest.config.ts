import { configDefaults, defineConfig } from 'vitest/config';

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

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
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
