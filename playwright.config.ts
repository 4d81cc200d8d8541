import { existsSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';

// Two app servers on fresh databases: one whose vendor SDKs talk to the fake vendor server, one
// with no keys at all (the offline providers). E2E_ENGINE picks the database (scripts/e2e-server.mjs):
// pglite (default), or postgres: a PostgreSQL server (TEST_DATABASE_URL, a superuser URL) with
// the app connected as a plain role, so row-level security binds as in production. The two runs
// go one after the other (`npm test`), so they share the ports; each keeps its own reports.
const engine = process.env.E2E_ENGINE || 'pglite';
if (engine !== 'pglite' && engine !== 'postgres') {
  throw new Error(`E2E_ENGINE must be pglite or postgres, not ${JSON.stringify(engine)}`);
}
if (engine === 'postgres' && !process.env.TEST_DATABASE_URL) {
  throw new Error(
    'E2E_ENGINE=postgres needs TEST_DATABASE_URL: a superuser URL of a PostgreSQL server with pgvector ' +
      '(e.g. postgres://postgres:postgres@127.0.0.1:5432/engram_test).',
  );
}
const vendorPort = 3100;
const fakeVendorPort = 3101;
const offlinePort = 3102;
const FAKE_VENDOR_URL = `http://127.0.0.1:${fakeVendorPort}`;

// Browsers cannot be downloaded on every machine: use the system Chromium where there is one,
// Playwright's own elsewhere.
const systemChromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export default defineConfig({
  testDir: './tests/e2e',
  // Its own folder per engine: the JSON reports of a CI run live in test-results/.
  outputDir: `test-results/playwright-${engine}`,
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: process.env.CI
    ? [['list'], ['json', { outputFile: `test-results/playwright-${engine}.json` }]]
    : [['list'], ['html', { open: 'never', outputFolder: `playwright-report/${engine}` }]],
  timeout: 30_000,
  use: {
    trace: 'retain-on-failure',
    launchOptions: systemChromium
      ? {
          executablePath: systemChromium,
          // Without the background-networking flags Chromium keeps dialling out on a closed network.
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        }
      : undefined,
  },
  projects: [
    {
      name: 'vendor',
      testIgnore: /\.offline\.spec\.ts$/,
      use: { ...devices['Desktop Chrome'], baseURL: `http://localhost:${vendorPort}` },
    },
    {
      name: 'offline',
      testMatch: /\.offline\.spec\.ts$/,
      use: { ...devices['Desktop Chrome'], baseURL: `http://localhost:${offlinePort}` },
    },
  ],
  // Against the production build (`npm run test:e2e` builds first).
  webServer: [
    {
      command: `npx tsx tests/fakes/serve.ts --port ${fakeVendorPort}`,
      url: `${FAKE_VENDOR_URL}/_fake/requests`,
      reuseExistingServer: false,
    },
    ...(
      [
        [vendorPort, 'vendor'],
        [offlinePort, 'offline'],
      ] as const
    ).map(([port, mode]) => ({
      command: `node scripts/e2e-server.mjs ${port} ${mode}`,
      url: `http://localhost:${port}`,
      env: { FAKE_VENDOR_URL, E2E_ENGINE: engine },
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe' as const,
      stderr: 'pipe' as const,
    })),
  ],
});
