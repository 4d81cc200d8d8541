// Starts `next start` for the browser tests on a fresh embedded database of its own, with a test
// secret: `node scripts/e2e-server.mjs PORT offline|vendor`. In vendor mode the Anthropic and
// OpenAI SDKs talk to the fake vendor server (tests/fakes/serve.ts) on FAKE_VENDOR_URL.
// Started as `node .../next` (not npx) so stopping this process stops the server.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

const port = process.argv[2] ?? '3100';
const mode = process.argv[3] ?? 'offline';
const fakeVendor = process.env.FAKE_VENDOR_URL ?? 'http://127.0.0.1:3101';
const dataDir = path.resolve('.data', `e2e-${mode}`);
rmSync(dataDir, { recursive: true, force: true });

const models =
  mode === 'vendor'
    ? {
        ANTHROPIC_API_KEY: 'e2e-anthropic-key',
        ANTHROPIC_BASE_URL: fakeVendor,
        OPENAI_API_KEY: 'e2e-openai-key',
        OPENAI_BASE_URL: `${fakeVendor}/v1`,
        // A scripted failure must reach the page, not be retried away.
        MODEL_MAX_RETRIES: '0',
        MODEL_TIMEOUT_MS: '15000',
        CRON_SECRET: 'e2e-cron-secret-0123456789',
      }
    : { ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '', OPENAI_BASE_URL: '', CHAT_PROVIDER: 'auto', EMBEDDING_PROVIDER: 'auto', CRON_SECRET: '' };

const server = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', port], {
  stdio: 'inherit',
  env: {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    AUTH_SECRET: 'e2e-only-secret-e2e-only-secret-e2e-only',
    ...models,
  },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
