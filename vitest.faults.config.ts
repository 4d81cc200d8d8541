import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: the fault suite (tests/faults), against the production build on the
 * PostgreSQL server of TEST_DATABASE_URL as the plain app role. One file at a time: each starts
 * `next start` and loads it, and two at once on 2 cores would measure each other.
 */
export default defineConfig({
  resolve: { alias: { '@': import.meta.dirname } },
  test: {
    name: 'faults',
    include: ['tests/faults/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/faults.json' }]] : ['default'],
  },
});
