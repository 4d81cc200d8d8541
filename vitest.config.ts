import path from 'node:path';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

const root = import.meta.dirname;
const alias = { '@': root };

/** The integration suite, once per engine: PGlite always, a PostgreSQL server when one is given. */
const integration = (engine: 'pglite' | 'postgres'): TestProjectInlineConfiguration => ({
  resolve: { alias },
  test: {
    name: engine,
    include: ['tests/integration/**/*.test.ts'],
    env: { TEST_ENGINE: engine },
    // A fresh PGlite with extensions and migrations takes a few seconds on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  test: {
    env: { DATA_DIR: path.join(root, '.data', 'vitest') },
    // The per-turn JSON log lines (lib/chat/turn-log.ts) would bury the test output.
    onConsoleLog: (log) => !log.startsWith('{"level":'),
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
    projects: [
      { resolve: { alias }, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      integration('pglite'),
      ...(process.env.TEST_DATABASE_URL ? [integration('postgres')] : []),
    ],
  },
});
