import { existsSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';

// Two app servers on fresh embedded databases: one whose vendor SDKs talk to the fake vendor
// server, one with no keys at all (the offline providers).
const vendorPort = 3100;
const fakeVendorPort = 3101;
const offlinePort = 3102;
const FAKE_VENDOR_URL = `http://127.0.0.1:${fakeVendorPort}`;

// Browsers cannot be downloaded on every machine: use the system Chromium where there is one,
// Playwright's own elsewhere.
const systemChromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export default defineConfig({
  testDir: './tests/e2e',
  // Its own folder: the JSON reports of a CI run live in test-results/.
  outputDir: 'test-results/playwright',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: process.env.CI
    ? [['list'], ['json', { outputFile: 'test-results/playwright.json' }]]
    : [['list'], ['html', { open: 'never' }]],
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
      env: { FAKE_VENDOR_URL },
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe' as const,
      stderr: 'pipe' as const,
    })),
  ],
});
