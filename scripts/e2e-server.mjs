// Starts `next start` for the browser tests on a fresh embedded database of its own, with a test
// secret. Started as `node .../next` (not npx) so stopping this process stops the server.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

const port = process.argv[2] ?? '3100';
const dataDir = path.resolve('.data', 'e2e');
rmSync(dataDir, { recursive: true, force: true });

const server = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', port], {
  stdio: 'inherit',
  env: {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    AUTH_SECRET: 'e2e-only-secret-e2e-only-secret-e2e-only',
  },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
