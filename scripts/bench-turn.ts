/**
 * `npm run bench:turn`: drives the chat route of a production build (`next start`) against the
 * fake vendor server, which answers after a fixed delay, with N concurrent users, and reports the
 * time Engram adds to the first token beyond the vendor's own, turns per second and errors; then
 * checks that every turn and every scripted fact was stored. On the PostgreSQL server of
 * DATABASE_URL when set (a database `engram_bench_turn` is created there and served as the app
 * role, which row-level security binds), else on PGlite.
 * Flags: see --help.
 * Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeEvents } from '@/lib/chat/events';
import { startFakeVendorServer } from '@/tests/fakes/vendor-server';
import { guestCookie } from '@/tests/helpers/app-server';
import { printBaselineComparison } from './bench/baseline';
import { serverSettingsAt } from './bench/plans';
import { scratchAppDatabase } from './bench/scratch-database';
import { summarize } from './bench/stats';
import { parseCommand } from './cli';

const cli = parseCommand({
  name: 'npm run bench:turn',
  summary: `Drives the chat route of the production build (\`next start\`; run \`npm run build\` first) against
a fake vendor that answers after a fixed delay, with N concurrent users: the time Engram adds to the
first token, turns per second and errors, then checks every turn and scripted fact was stored. On
the PostgreSQL server of DATABASE_URL when set (database engram_bench_turn), else on PGlite.`,
  options: {
    users: { type: 'string', default: '10', value: 'N', help: 'Concurrent users' },
    turns: { type: 'string', default: '5', value: 'N', help: 'Turns per user' },
    'vendor-delay-ms': { type: 'string', default: '200', value: 'MS', help: "The fake vendor's delay before its first token" },
    /** The embedding call is on the path to the first token: its latency is Engram's to carry. */
    'embedding-delay-ms': { type: 'string', default: '0', value: 'MS', help: "The fake embedding call's delay" },
    /** A person reads the answer before writing again; by default the next message goes at once. */
    'pause-ms': { type: 'string', default: '0', value: 'MS', help: "Each user's pause between an answer's end and their next message" },
    port: { type: 'string', default: '3200', value: 'N', help: 'Port of the server it starts' },
    json: { type: 'string', value: 'FILE', help: 'Also write the report to FILE' },
    baseline: { type: 'string', value: 'FILE', help: "An earlier run's --json report, printed beside this one's" },
    'cpu-prof': { type: 'string', value: 'DIR', help: "Write the server's CPU profile (node --cpu-prof) to DIR when it stops" },
    'server-log': { type: 'string', value: 'FILE', help: "Write the server's standard output (one chat.turn line per turn, with its timings) to FILE" },
  },
});
const { values } = cli;
const users = cli.integer('users');
const turnsPerUser = cli.integer('turns');
const vendorDelay = cli.integer('vendor-delay-ms', 0);
const embeddingDelay = cli.integer('embedding-delay-ms', 0);
const pauseMs = cli.integer('pause-ms', 0);
const port = String(cli.integer('port'));
const base = `http://127.0.0.1:${port}`;

async function waitFor(url: string, seconds: number) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not come up`);
}

/** Clock ticks per second of /proc's CPU counters (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (ms) the kernel has counted for `pid` and its live descendants, in user space and in
 * the kernel on their behalf (system calls): the server's own counters, whatever it runs in, with
 * nothing of this process's load generator.
 */
function processTreeCpu(pid: number): { userMs: number; systemMs: number } {
  const stats = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        // The command name can hold spaces and parentheses: the fields start after the last ')'.
        const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ').at(-1)!.split(' ');
        return [{ pid: Number(name), ppid: Number(fields[1]), user: Number(fields[11]), system: Number(fields[12]) }];
      } catch {
        return []; // exited meanwhile
      }
    });
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of stats) {
      if (tree.has(p.ppid) && !tree.has(p.pid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  const mine = stats.filter((p) => tree.has(p.pid));
  const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
  return { userMs: ms(mine.reduce((sum, p) => sum + p.user, 0)), systemMs: ms(mine.reduce((sum, p) => sum + p.system, 0)) };
}

function processTreeCpuMs(pid: number): number {
  const { userMs, systemMs } = processTreeCpu(pid);
  return userMs + systemMs;
}

/** Waits until the server has used no CPU for `quietMs` (its after-response work is done), at most `maxMs`. */
async function serverIdle(pid: number, quietMs = 300, maxMs = 10_000) {
  const until = performance.now() + maxMs;
  for (let last = processTreeCpuMs(pid); performance.now() < until; ) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = processTreeCpuMs(pid);
    if (now - last < 10) return;
    last = now;
  }
}

interface TurnResult {
  cookie: string;
  ttftMs: number;
  totalMs: number;
  userTurnId: number;
  conversationId: string;
}

async function turn(cookie: string, message: string, conversationId?: string): Promise<TurnResult> {
  const started = performance.now();
  const response = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ message, conversationId }),
  });
  if (!response.ok || !response.body) throw new Error(`chat answered ${response.status}`);
  let ttftMs = -1;
  let userTurnId = 0;
  let conversation = conversationId ?? '';
  for await (const event of decodeEvents(response.body)) {
    if (event.type === 'start') [userTurnId, conversation] = [event.userTurnId ?? 0, event.conversationId ?? ''];
    if (event.type === 'text' && ttftMs < 0) ttftMs = performance.now() - started;
    if (event.type === 'error') throw new Error(event.message);
  }
  return { cookie, ttftMs, totalMs: performance.now() - started, userTurnId, conversationId: conversation };
}

// Dense vectors, as a real embedding model returns: their size is part of a turn's cost. Idle
// connections kept open with no keep-alive time named, as a vendor's edge does (Node's server
// names 5 s, which clients obey): how many the app opens per turn is then its own doing.
const fake = await startFakeVendorServer({ delayMs: vendorDelay, embeddingDelayMs: embeddingDelay, denseEmbeddings: true, keepAliveTimeoutMs: 0 });
// As in production: migrated by the admin, served as a plain role that row-level security binds.
const database = process.env.DATABASE_URL ? await scratchAppDatabase(process.env.DATABASE_URL, 'engram_bench_turn') : undefined;
const databaseUrl = database?.appUrl;
const dataDir = mkdtempSync(path.join(tmpdir(), 'engram-bench-turn-'));
// Node refuses --cpu-prof in NODE_OPTIONS: it goes before the script.
const profile = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values['cpu-prof'])}`] : [];
const serverLog = values['server-log'] ? openSync(values['server-log'], 'w') : 'ignore';
const server = spawn(process.execPath, [...profile, 'node_modules/next/dist/bin/next', 'start', '-p', port], {
  stdio: ['ignore', serverLog, 'inherit'],
  env: {
    ...process.env,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    DATABASE_URL: databaseUrl ?? '',
    DATABASE_POOL_MAX: '20',
    DATA_DIR: dataDir,
    AUTH_SECRET: randomBytes(32).toString('base64'),
    ANTHROPIC_API_KEY: 'bench',
    CHAT_MODEL: 'bench-chat-model',
    EXTRACTION_MODEL: 'bench-extraction-model',
    ANTHROPIC_BASE_URL: fake.url,
    OPENAI_API_KEY: 'bench',
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    MODEL_MAX_RETRIES: '0',
    // The benchmark is one address sending as fast as it can: the production limits would refuse it.
    RATE_LIMIT_CHAT_TURNS_PER_MINUTE: '100000',
    RATE_LIMIT_GUEST_CHAT_TURNS_PER_DAY: '100000',
    RATE_LIMIT_NEW_GUESTS_PER_ADDRESS_PER_HOUR: '100000',
    RATE_LIMIT_NEW_GUESTS_PER_HOUR: '100000',
  },
});

try {
  await waitFor(base, 60);
  // One scripted fact per turn, each distinct, so every one must be stored.
  const facts = Array.from({ length: users * turnsPerUser }, () => `Collects ${randomBytes(6).toString('hex')} stamps`);
  const scripted = (fact: string) => ({
    match: { forcedTool: 'record_facts' },
    toolCalls: [{ name: 'record_facts', input: { facts: [{ fact_type: 'preference', fact_text: fact, confidence: 0.9, supersedes: [] }] } }],
  });
  const cookies = await Promise.all(Array.from({ length: users }, () => guestCookie(base)));
  // Warm-up: one turn per user, all at once, so the load finds the connections it needs open and
  // its statements prepared on them (a process that has been serving); their facts come first.
  fake.script(...cookies.map((_, u) => scripted(`Warms up the server ${u}`)), ...facts.map(scripted));
  await Promise.all(cookies.map((cookie) => turn(cookie, 'warm-up')));

  await serverIdle(server.pid!);

  const results: TurnResult[] = [];
  // The first round is every user's first message sent at the same instant, a burst the rest are not.
  const laterTurns: TurnResult[] = [];
  let errors = 0;
  const cpuBefore = processTreeCpu(server.pid!);
  const connectionsBefore = fake.connections();
  const started = performance.now();
  await Promise.all(
    cookies.map(async (cookie, u) => {
      let conversationId: string | undefined;
      for (let t = 0; t < turnsPerUser; t++) {
        try {
          const result = await turn(cookie, `User ${u} message ${t}: tell me about stamps`, conversationId);
          conversationId = result.conversationId;
          results.push(result);
          if (t > 0) laterTurns.push(result);
          if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        } catch (error) {
          errors++;
          console.error(String(error));
        }
      }
    }),
  );
  const wallMs = performance.now() - started;
  // The turns' CPU includes what follows each answer (extraction, title, summary), not the checks below.
  await serverIdle(server.pid!);
  const cpuAfter = processTreeCpu(server.pid!);
  const serverCpu = { userMs: cpuAfter.userMs - cpuBefore.userMs, systemMs: cpuAfter.systemMs - cpuBefore.systemMs };
  const vendorConnections = fake.connections() - connectionsBefore;

  // Extraction runs after each response: wait for it, then check every turn and fact.
  let extracted = 0;
  const learned = new Set<string>();
  for (let attempt = 0; attempt < 60 && extracted < results.length; attempt++) {
    extracted = 0;
    for (const { userTurnId, cookie } of results) {
      const response = await fetch(`${base}/api/chat/turns/${userTurnId}/memory`, { headers: { cookie } });
      if (!response.ok) throw new Error(`memory status of turn ${userTurnId}: ${response.status}`);
      const status = (await response.json()) as { state: string; learned: { factText: string }[] };
      if (status.state === 'extracted') extracted++;
      status.learned.forEach((f) => learned.add(f.factText));
    }
    if (extracted < results.length) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const conversations = new Map(results.map((r) => [r.conversationId, r.cookie]));
  const answersStored = (
    await Promise.all(
      [...conversations].map(async ([id, cookie]) => {
        const html = await (await fetch(`${base}/chat/${id}`, { headers: { cookie } })).text();
        return html.match(/data-testid="message-assistant"/g)?.length ?? 0;
      }),
    )
  ).reduce((a, b) => a + b, 0);

  const perTurn = (ms: number) => Math.round((ms / Math.max(1, results.length)) * 10) / 10;
  const report = {
    engine: databaseUrl ? 'postgres' : 'pglite',
    users,
    turnsPerUser,
    vendorDelayMs: vendorDelay,
    embeddingDelayMs: embeddingDelay,
    pauseMs,
    turns: results.length,
    errors,
    settings: databaseUrl ? await serverSettingsAt(databaseUrl) : undefined,
    turnsPerSecond: Math.round((results.length * 1000 * 10) / wallMs) / 10,
    /** CPU of the `next start` process per turn, from its own counters (the idle wait included: ~0). */
    serverCpuMsPerTurn: perTurn(serverCpu.userMs + serverCpu.systemMs),
    /** The same, in user space (JavaScript, the runtime) and in the kernel (system calls: sockets, files). */
    serverUserCpuMsPerTurn: perTurn(serverCpu.userMs),
    serverSystemCpuMsPerTurn: perTurn(serverCpu.systemMs),
    /** Connections the server opened to the model vendor per turn: each a TCP and TLS handshake to a real one. */
    vendorConnectionsPerTurn: Math.round((vendorConnections / Math.max(1, results.length)) * 100) / 100,
    addedTimeToFirstTokenMs: summarize(results.map((r) => r.ttftMs - vendorDelay)),
    addedTimeToFirstTokenAfterFirstRoundMs: summarize(laterTurns.map((r) => r.ttftMs - vendorDelay)),
    turnMs: summarize(results.map((r) => r.totalMs)),
    stored: { userTurnsExtracted: extracted, answers: answersStored, scriptedFactsStored: facts.filter((f) => learned.has(f)).length, scriptedFacts: facts.length },
  };
  const ttft = report.addedTimeToFirstTokenMs;
  console.log(`bench:turn on ${report.engine}: ${users} concurrent users x ${turnsPerUser} turns, vendor delay ${vendorDelay} ms, embedding delay ${embeddingDelay} ms, pause ${pauseMs} ms`);
  const later = report.addedTimeToFirstTokenAfterFirstRoundMs;
  console.log(`  added time to first token: p50 ${ttft.p50} ms, p95 ${ttft.p95} ms, p99 ${ttft.p99} ms`);
  console.log(`  the same without the first round (every user's first message at the same instant): p50 ${later.p50} ms, p95 ${later.p95} ms, p99 ${later.p99} ms`);
  console.log(`  ${report.turnsPerSecond} turns/s, ${errors} errors; server CPU ${report.serverCpuMsPerTurn} ms per turn (user ${report.serverUserCpuMsPerTurn}, system ${report.serverSystemCpuMsPerTurn}); ${report.vendorConnectionsPerTurn} new vendor connections per turn`);
  if (report.settings) console.log(`  PostgreSQL settings: ${Object.entries(report.settings).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  console.log(
    `  stored: ${report.stored.userTurnsExtracted}/${results.length} user turns extracted, ${answersStored} answers, ` +
      `${report.stored.scriptedFactsStored}/${facts.length} scripted facts`,
  );
  console.log(JSON.stringify(report));
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
  if (values.baseline) printBaselineComparison(report, values.baseline, new Set(['p50', 'p95', 'p99', 'mean', 'turnsPerSecond', 'serverCpuMsPerTurn', 'serverUserCpuMsPerTurn', 'serverSystemCpuMsPerTurn', 'vendorConnectionsPerTurn']));
} finally {
  // The server must have let go of its data folder before the folder goes.
  const exited = server.exitCode === null ? new Promise((resolve) => server.once('exit', resolve)) : undefined;
  server.kill('SIGTERM');
  await exited;
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
}
