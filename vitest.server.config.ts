import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults` and `npm run test:security` (SUITE=security): the suites that drive the
 * production build over HTTP (tests/helpers/app-server.ts), on the PostgreSQL server of
 * TEST_DATABASE_URL as the plain app role. One file at a time: each starts `next start` and loads
 * it, and two at once on 2 cores would measure each other.
 */
const suite = process.env.SUITE === 'security' ? 'security' : 'faults';

export default defineConfig({
  resolve: { alias: { '@': import.meta.dirname } },
  test: {
    name: suite,
    include: [`tests/${suite}/**/*.test.ts`],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: `test-results/${suite}.json` }]] : ['default'],
  },
});
