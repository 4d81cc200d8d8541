/**
 * `npm run bench:memory`: seeds synthetic users with facts and embeddings, then times the memory
 * engine's own functions, with model calls that answer at once: retrieval, writing a turn's facts,
 * building the prompt, and all the memory work of a chat turn. Reports p50/p95/p99/mean and
 * throughput, seed time, row counts, peak RSS, and EXPLAIN ANALYZE of the retrieval SQL.
 *
 * Engines: PGlite (a temporary folder), and the PostgreSQL server of DATABASE_URL when set, in a
 * database it drops and recreates (--database, default engram_bench), timed as a role that is
 * not a superuser (`engram_bench_app`, created if missing), so row-level security applies as in
 * production.
 * Flags: --users N (server, default 1000) --pglite-users N (default 100) --facts-per-user N
 * (default 500) --queries N (per operation, default 500; users sampled: as many, at most all)
 * --warmup N (untimed runs per operation first; default one per sampled user)
 * --engine pglite|postgres|both --database NAME --json FILE.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Engine } from '@/lib/db/client';
import type { Store } from '@/lib/db/store';
import { defaultRetrieveOptions, type Ranking } from '@/lib/memory/retrieve';
import { openBenchPglite, openBenchPostgres } from './bench/engines';
import { makeIterations, sampleUsers, type BenchUser } from './bench/fixtures';
import { runOperations } from './bench/operations';
import { explainRetrieval } from './bench/plans';
import { seed } from './bench/seed';
import { printTable, processPeakRssMb, trackPeakRss } from './bench/stats';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    // PGlite holds the database in this process: 500k facts take many minutes and gigabytes.
    'pglite-users': { type: 'string', default: '100' },
    'facts-per-user': { type: 'string', default: '500' },
    queries: { type: 'string', default: '500' },
    /** Default: each sampled user once, so no timed run pays for a user's first read from disk. */
    warmup: { type: 'string' },
    engine: { type: 'string' },
    database: { type: 'string', default: 'engram_bench' },
    json: { type: 'string' },
  },
});

function positive(name: keyof typeof values): number {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${values[name]}`);
  return n;
}

const DIMENSIONS = 256;
const MODEL = 'bench-embedder';
/** The targets on a PostgreSQL server, p95 in ms. */
const TARGETS = { retrieve: 5, memoryWorkPerTurn: 15 };
const factsPerUser = positive('facts-per-user');
const queries = positive('queries');

function chosenEngines(): Engine[] {
  const serverUrl = process.env.DATABASE_URL;
  const requested = values.engine ?? (serverUrl ? 'both' : 'pglite');
  if (!['pglite', 'postgres', 'both'].includes(requested)) throw new Error(`--engine must be pglite, postgres or both, got ${requested}`);
  if (requested !== 'pglite' && !serverUrl) throw new Error('--engine postgres needs DATABASE_URL');
  // The server first: the kernel's peak RSS of the process then still describes the server run.
  return requested === 'both' ? ['postgres', 'pglite'] : [requested as Engine];
}

async function explainBoth(store: Store, users: BenchUser[]) {
  const [it] = makeIterations(users, 1);
  const query = { userId: it!.user.id, model: MODEL, vector: it!.vector, text: it!.message };
  const plans: Partial<Record<Ranking, string[]>> = {};
  for (const ranking of ['hybrid', 'vector'] as const) plans[ranking] = await explainRetrieval(store, query, { ...defaultRetrieveOptions, ranking });
  return plans;
}

async function bench(engine: Engine) {
  const users = engine === 'pglite' ? positive('pglite-users') : positive('users');
  const rss = trackPeakRss();
  const db = engine === 'pglite' ? await openBenchPglite() : await openBenchPostgres(process.env.DATABASE_URL!, values.database!);
  try {
    // PGlite keeps the database inside this process: it runs smaller unless told otherwise.
    const smaller = engine === 'pglite' && users < positive('users') ? ` (smaller than the server's ${positive('users')}: --pglite-users)` : '';
    console.log(`\n[${engine}] ${db.location}: seeding ${users} users${smaller} x ${factsPerUser} facts...`);
    const seeded = await seed(db.owner, { users, factsPerUser, dimensions: DIMENSIONS, model: MODEL });
    console.log(`[${engine}] seeded in ${seeded.seconds} s: rows ${JSON.stringify(seeded.rows)}, MB ${JSON.stringify(seeded.sizesMb)}`);
    const sample = await sampleUsers(db.owner, Math.min(users, queries), DIMENSIONS);
    const warmup = values.warmup ? positive('warmup') : sample.length;
    console.log(`[${engine}] timing ${queries} runs per operation (after ${warmup} warm-up runs) over ${sample.length} users...`);
    const { results, work } = await runOperations({ store: db.app, model: MODEL, users: sample, warmup, queries });
    const plans = await explainBoth(db.app, sample);
    return { engine, location: db.location, users, factsPerUser, sampledUsers: sample.length, warmup, seed: seeded, results, work, plans, peakRssMb: rss.stop(), processPeakRssMb: processPeakRssMb() };
  } finally {
    await db.close();
  }
}

type Run = Awaited<ReturnType<typeof bench>>;

function printRun(run: Run) {
  const facts = run.seed.rows.user_facts!.toLocaleString('en');
  printTable(`[${run.engine}] ${facts} facts of ${run.users.toLocaleString('en')} users; peak RSS ${run.peakRssMb} MB (process so far ${run.processPeakRssMb} MB)`, run.results);
  console.log(`\nfacts retrieved per query (mean) ${run.work.meanFactsRetrieved}; facts written: ${JSON.stringify(run.work.writeOutcomes)}`);
  if (run.engine !== 'postgres') return;
  for (const [ranking, lines] of Object.entries(run.plans)) console.log(`\nEXPLAIN ANALYZE, retrieval (${ranking}), one user:\n${lines.join('\n')}`);
  const p95 = (name: string) => run.results[name]!.p95;
  const verdict = (ms: number, target: number) => `${ms} ms ${ms < target ? 'meets' : 'MISSES'} the ${target} ms target`;
  console.log(`\nretrieval p95: hybrid ${verdict(p95('retrieve (hybrid)'), TARGETS.retrieve)}; vector ${verdict(p95('retrieve (vector)'), TARGETS.retrieve)}`);
  console.log(`memory work per turn p95: ${verdict(p95('memory work per turn'), TARGETS.memoryWorkPerTurn)}`);
}

const runs: Run[] = [];
for (const engine of chosenEngines()) {
  const run = await bench(engine);
  printRun(run);
  runs.push(run);
}
const report = { date: new Date().toISOString(), embeddingDimensions: DIMENSIONS, queries, targetsP95Ms: TARGETS, runs };
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\n${JSON.stringify(report)}`);
