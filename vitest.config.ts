import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': import.meta.dirname } },
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    environment: 'node',
    // A fresh PGlite with extensions and migrations takes a few seconds on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests create their own databases; keep them off the vitest cache folder.
    env: { DATA_DIR: path.join(import.meta.dirname, '.data', 'vitest') },
  },
});
