// Starts `next start` for the browser tests on a fresh database of its own, with a test secret:
// `node scripts/e2e-server.mjs PORT offline|vendor`. In vendor mode the Anthropic and OpenAI SDKs
// talk to the fake vendor server (tests/fakes/serve.ts) on FAKE_VENDOR_URL.
//
// E2E_ENGINE picks the database. pglite (default): an embedded one in .data/e2e-MODE. postgres: a
// database engram_e2e_MODE_PORT on the server of TEST_DATABASE_URL (a superuser URL), dropped and
// made again, migrated as that superuser (MIGRATION_DATABASE_URL), with the app connecting as the
// plain role `npm run db:app-role` makes, as in production: row-level security binds.
// Started as `node .../next` (not npx) so stopping this process stops the server.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import pg from 'pg';

// Plain Node (the browser suite starts it), so not scripts/cli.ts: the same answers, by hand.
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log('Usage: node scripts/e2e-server.mjs [PORT] [offline|vendor]\n\nStarts `next start` for the browser tests on a fresh database of its own (E2E_ENGINE=pglite, the\ndefault, or postgres with TEST_DATABASE_URL), with a test secret. PORT defaults to 3100, the mode\nto offline; vendor talks to the fake vendor at FAKE_VENDOR_URL.');
  process.exit(0);
}
const [port = '3100', mode = 'offline'] = args;
const usageError = (message) => {
  console.error(`scripts/e2e-server.mjs: ${message} (see --help)`);
  process.exit(2);
};
if (args.length > 2 || !/^\d+$/.test(port)) usageError(`usage: [PORT] [offline|vendor], got ${args.join(' ')}`);
if (mode !== 'offline' && mode !== 'vendor') usageError(`the mode is offline or vendor, not ${JSON.stringify(mode)}`);
const engine = process.env.E2E_ENGINE || 'pglite';
const fakeVendor = process.env.FAKE_VENDOR_URL ?? 'http://127.0.0.1:3101';
const dataDir = path.resolve('.data', `e2e-${engine === 'pglite' ? mode : `${engine}-${mode}`}`);
const AUTH_SECRET = 'e2e-only-secret-e2e-only-secret-e2e-only';
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
        // A test fills a memory to its cap in one minute (25 turns); limits are raised by setting.
        RATE_LIMIT_CHAT_TURNS_PER_MINUTE: '1000',
      }
    : { ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '', OPENAI_BASE_URL: '', CHAT_PROVIDER: 'auto', EMBEDDING_PROVIDER: 'auto', CRON_SECRET: '' };

/** Runs a project script with tsx, as `npm run` would, and stops here if it fails. */
function runScript(script, env) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script], {
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', AUTH_SECRET, DATA_DIR: dataDir, ...env },
  });
  if (result.status !== 0) {
    console.error(`[e2e-server] ${script} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

/**
 * A fresh database for this server, migrated by the superuser, and the URL of the plain app role
 * (NOSUPERUSER NOBYPASSRLS) that the app connects as.
 */
async function preparePostgres() {
  const superUrl = process.env.TEST_DATABASE_URL;
  if (!superUrl) {
    console.error('[e2e-server] E2E_ENGINE=postgres needs TEST_DATABASE_URL (a superuser URL of a PostgreSQL server with pgvector).');
    process.exit(1);
  }
  if (!URL.canParse(superUrl) || !/^postgres(ql)?:$/.test(new URL(superUrl).protocol)) {
    console.error(`[e2e-server] TEST_DATABASE_URL is not a postgres:// URL: ${JSON.stringify(superUrl)}`);
    process.exit(1);
  }
  const database = `engram_e2e_${mode}_${port}`;
  const admin = new pg.Client({ connectionString: superUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  const adminUrl = new URL(superUrl);
  adminUrl.pathname = `/${database}`;
  const appUrl = new URL(adminUrl);
  appUrl.username = 'engram_e2e_app';
  appUrl.password = 'e2e-app-password';

  runScript('scripts/db-migrate.ts', { DATABASE_URL: '', MIGRATION_DATABASE_URL: adminUrl.href });
  runScript('scripts/db-app-role.ts', { DATABASE_URL: '', MIGRATION_DATABASE_URL: adminUrl.href, APP_DATABASE_URL: appUrl.href });
  return appUrl.href;
}

let database;
if (engine === 'postgres') {
  database = { DATABASE_URL: await preparePostgres(), MIGRATION_DATABASE_URL: '', MIGRATE_ON_START: 'false' };
} else if (engine === 'pglite') {
  database = { DATABASE_URL: '', MIGRATION_DATABASE_URL: '' };
} else {
  console.error(`[e2e-server] E2E_ENGINE must be pglite or postgres, not ${JSON.stringify(engine)}`);
  process.exit(1);
}

const server = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', port], {
  stdio: 'inherit',
  env: {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    DATA_DIR: dataDir,
    // Never the privileged escape hatch: on PostgreSQL the app must start as the plain role.
    ALLOW_PRIVILEGED_DATABASE_ROLE: '',
    AUTH_SECRET,
    ...database,
    ...models,
  },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
