/**
 * The world of the fault and security suites: the production build (`next start`, built by
 * `npm run test:e2e` or `next build`; NEXT_DIST_DIR names another build folder) as a child process that can be killed and started again, on a fresh database of
 * the PostgreSQL server (TEST_DATABASE_URL, a superuser URL) served to the app as a plain role,
 * and the real vendor SDKs pointed at the fake vendor running in this process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import pg from 'pg';
import { decodeEvents, type TurnEvent } from '@/lib/chat/events';
import { startFakeVendorServer, type FakeVendorServer } from '@/tests/fakes/vendor-server';

const AUTH_SECRET = 'faults-only-secret-faults-only-secret-0123';
const APP_ROLE = { user: 'engram_faults_app', password: 'faults-app-password' };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function superUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('The fault suite needs TEST_DATABASE_URL: a superuser URL of a PostgreSQL server with pgvector.');
  return url;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs a project script with tsx, as `npm run` would; throws with its output if it fails. */
function runScript(script: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${script} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** A fresh database `name`, migrated as the superuser; answers its superuser and app-role URLs. */
export async function freshDatabase(name: string) {
  const admin = new pg.Client({ connectionString: superUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const adminUrl = new URL(superUrl());
  adminUrl.pathname = `/${name}`;
  const appUrl = new URL(adminUrl);
  appUrl.username = APP_ROLE.user;
  appUrl.password = APP_ROLE.password;
  const env = { DATABASE_URL: '', MIGRATION_DATABASE_URL: adminUrl.href };
  runScript('scripts/db-migrate.ts', env);
  runScript('scripts/db-app-role.ts', { ...env, APP_DATABASE_URL: appUrl.href });
  return { adminUrl: adminUrl.href, appUrl: appUrl.href };
}

export interface App {
  url: string;
  /** Everything the server printed, stdout and stderr, since it was first started. */
  output(): string;
  /** kill -9: no clean-up of any kind runs. */
  kill(): Promise<void>;
  /** Starts it again on the same port and database, with `env` on top of the first start's. */
  start(env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
  /** The server process's id while it runs (its memory can be read from /proc/<pid>/status). */
  pid(): number | undefined;
}

/** The settings of the app and of its scripts: the app role's URL, the SDKs on `fake`, short model time-outs. */
export function appEnvironment(appUrl: string, fake: FakeVendorServer, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    AUTH_SECRET,
    DATABASE_URL: appUrl,
    MIGRATION_DATABASE_URL: '',
    MIGRATE_ON_START: 'false',
    ALLOW_PRIVILEGED_DATABASE_ROLE: '',
    ANTHROPIC_API_KEY: 'faults-anthropic-key',
    ANTHROPIC_BASE_URL: fake.anthropicBaseUrl,
    OPENAI_API_KEY: 'faults-openai-key',
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    MODEL_TIMEOUT_MS: '3000',
    MODEL_MAX_RETRIES: '0',
    CRON_SECRET: '',
    ...env,
  };
}

/** `next start` on the app role's URL, the SDKs on `fake`; `env` overrides settings. */
export async function startApp(appUrl: string, fake: FakeVendorServer, env: Record<string, string> = {}): Promise<App> {
  const distDir = process.env.NEXT_DIST_DIR || '.next';
  if (!existsSync(`${distDir}/BUILD_ID`)) throw new Error(`No production build in ${distDir}: run \`npx next build\` (npm run test:e2e does) first.`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  let child: ChildProcess | undefined;

  async function start(more: Record<string, string> = {}) {
    child = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', String(port), '-H', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: appEnvironment(appUrl, fake, { ...env, ...more }),
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let waited = 0; waited < 60_000; waited += 250) {
      if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${output}`);
      if (await fetch(`${url}/api/health`).then((r) => r.ok, () => false)) return;
      await sleep(250);
    }
    throw new Error(`next start did not come up:\n${output}`);
  }

  async function signal(name: NodeJS.Signals) {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(name);
    await exited;
  }

  await start();
  return { url, output: () => output, start, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM'), pid: () => child?.pid };
}

/** A guest session, through Auth.js's own flow, as a browser gets one. */
export async function guestCookie(base: string): Promise<string> {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const csrfCookie = csrf.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const signIn = await fetch(`${base}/api/auth/callback/guest`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ csrfToken }),
  });
  const token = signIn.headers.getSetCookie().find((c) => c.includes('session-token'));
  if (!token) throw new Error(`guest sign-in failed: ${signIn.status}`);
  return token.split(';')[0]!;
}

export type ChatBody = { conversationId?: string; message: string } | { conversationId: string; retry: true };

export interface Refusal {
  error?: string;
  conversationId?: string;
  retryAfterSeconds?: number;
}

/** One POST /api/chat: a refusal's status and JSON, or the streamed events (read by `onEvent` as they come). */
export async function postChat(
  base: string,
  cookie: string,
  body: ChatBody,
  onEvent?: (event: TurnEvent, all: TurnEvent[]) => void,
): Promise<{ status: number; contentType: string | null; refusal?: Refusal; events: TurnEvent[]; broken?: unknown }> {
  const response = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify(body),
  });
  const events: TurnEvent[] = [];
  const { status } = response;
  const contentType = response.headers.get('content-type');
  if (!response.ok || !response.body) {
    const refusal = (await response.json().catch(() => undefined)) as Refusal | undefined;
    return { status, contentType, refusal, events };
  }
  try {
    for await (const event of decodeEvents(response.body)) {
      events.push(event);
      onEvent?.(event, events);
    }
  } catch (broken) {
    // The server went away mid-stream.
    return { status, contentType, events, broken };
  }
  return { status, contentType, events };
}

export const textOf = (events: TurnEvent[]) => events.map((e) => (e.type === 'text' ? e.text : '')).join('');

/** Runs one query on the database as its superuser (what the test inspects, never what the app does). */
export async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export { startFakeVendorServer, type FakeVendorServer };
