/**
 * `npm run bench:memory`: seeds synthetic users with facts, conversations and episodes, then
 * times the memory engine's own functions, with model calls that answer at once: retrieval of
 * facts and of past conversations (episodes), writing a turn's facts, building the prompt, and all
 * the memory work of a chat turn; the prompt and the turn with "Reference past chats" on and off,
 * interleaved, so what episodes add is a difference measured in one run. Reports the server's
 * settings, p50/p95/p99/mean and throughput, seed time, row counts and sizes, peak RSS, and
 * EXPLAIN (ANALYZE, BUFFERS) of the retrieval SQL, facts and episodes.
 *
 * Engines: PGlite (a temporary folder), and the PostgreSQL server of DATABASE_URL when set, in a
 * database it drops and recreates (--database, default engram_bench), timed as a role that is
 * not a superuser (`engram_bench_app`, created if missing), so row-level security applies as in
 * production.
 * Flags: see --help. The turns are written in the words of fixtures.ts benchVocabulary.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { createOfflineEmbedder, DEFAULT_OFFLINE_EMBEDDER } from '@/lib/ai/offline/embedder';
import type { Engine } from '@/lib/db/client';
import type { Store } from '@/lib/db/store';
import { defaultEpisodeOptions } from '@/lib/memory/episodes';
import { defaultRetrieveOptions, type Ranking } from '@/lib/memory/retrieve';
import { defaultMemorySettings } from '@/lib/memory/settings';
import { openBenchPglite, openBenchPostgres, type BenchDatabase } from './bench/engines';
import { benchVocabulary, instantEmbedder, makeIterations, sampleUsers, type BenchUser } from './bench/fixtures';
import { compareTurns, emptyWork, runOperations, turnCodeAt } from './bench/operations';
import { blockCounts, explainEpisodes, explainRetrieval, explainStandings, serverSettings } from './bench/plans';
import { databaseExists } from './bench/scratch-database';
import { describeTables, prewarmKernelCache, previousSeed, recordSeed, restoreSeed, seed, type SeedOptions, type SeedReport } from './bench/seed';
import { printTable, processPeakRssMb, trackPeakRss, type LatencySummary } from './bench/stats';
import { printBaselineComparison } from './bench/baseline';
import { parseCommand } from './cli';

const cli = parseCommand({
  name: 'npm run bench:memory',
  summary: `Seeds synthetic users with facts, conversations and episodes, then times the memory engine's own
functions (retrieval of facts and episodes, writing a turn's facts, building the prompt, a turn's
memory work) with model calls that answer at once; p50/p95/p99, throughput, sizes, peak RSS and
query plans. On PGlite (a temporary folder), and on the PostgreSQL server of DATABASE_URL when set.`,
  options: {
    users: { type: 'string', default: '1000', value: 'N', help: 'Users on the server' },
    // PGlite holds the database in this process: 500k facts take many minutes and gigabytes.
    'pglite-users': { type: 'string', default: '100', value: 'N', help: 'Users on PGlite' },
    'facts-per-user': { type: 'string', default: '500', value: 'N', help: 'Facts per user' },
    'turns-per-user': { type: 'string', default: '2000', value: 'N', help: 'Turns per user on the server, each with an episode (0: none)' },
    // 100 users x 2,000 episodes is 600 MB of vectors inside this process.
    'pglite-turns-per-user': { type: 'string', default: '200', value: 'N', help: 'Turns per user on PGlite' },
    'conversations-per-user': { type: 'string', default: '10', value: 'N', help: 'Conversations the turns are spread over' },
    queries: { type: 'string', default: '500', value: 'N', help: 'Timed runs per operation (users sampled: as many, at most all)' },
    /**
     * Default: each sampled user once, so no timed run is a user's first. Past chats' re-rank reads
     * other pages for each question, so their pages come in over several: `--warmup` of five
     * per user times a conversation under way (README, "Past conversations at scale").
     */
    warmup: { type: 'string', value: 'N', help: 'Untimed runs per operation first (default one per sampled user)' },
    engine: { type: 'string', value: 'pglite|postgres|both', help: 'Engines to time (default both with DATABASE_URL, else pglite)' },
    database: { type: 'string', default: 'engram_bench', value: 'NAME', help: 'The server database, dropped and made again' },
    json: { type: 'string', value: 'FILE', help: 'Also write the report to FILE' },
    reuse: { type: 'boolean', default: false, help: 'Server: keep a database an earlier run seeded with the same flags (migrated to this code first, what earlier runs added taken out)' },
    dimensions: { type: 'string', value: 'N', help: "The vectors' width (default the offline embedder's)" },
    baseline: { type: 'string', value: 'FILE', help: "An earlier run's --json report, printed beside this one's" },
    prewarm: {
      type: 'boolean',
      default: false,
      help: "Server: read the seeded tables and indexes into the kernel's page cache first (pg_prewarm 'read'), as a server up for a while has them",
    },
    against: {
      type: 'string',
      value: 'DIR',
      help: "Also time chat turns of this code and of the checkout in DIR (e.g. a git worktree of an earlier commit), alternating in one run",
    },
  },
});
const { values } = cli;
const count = (name: Parameters<typeof cli.integer>[0], min = 1) => cli.integer(name, min);

/** The default offline embedder's width unless told: vectors are stored at their embedder's width. */
const DIMENSIONS = values.dimensions ? count('dimensions') : createOfflineEmbedder(DEFAULT_OFFLINE_EMBEDDER).dimensions;
const MODEL = 'bench-embedder';
/** The issue's targets on a PostgreSQL server, p95 in ms; episodes' as what they add. */
const TARGETS = { retrieve: 5, memoryWorkPerTurn: 15, episodesAddToRetrieve: 3, episodesAddBeforeTheAnswer: 5 };
/** Recent episodes of each sampled user made to match what the bench asks (fixtures.ts echoFact). */
const ECHOES = 20;
const factsPerUser = count('facts-per-user');
const queries = count('queries');

function chosenEngines(): Engine[] {
  const serverUrl = process.env.DATABASE_URL;
  const requested = values.engine ?? (serverUrl ? 'both' : 'pglite');
  if (!['pglite', 'postgres', 'both'].includes(requested)) cli.fail(`--engine must be pglite, postgres or both, got ${requested}`);
  if (requested !== 'pglite' && !serverUrl) cli.fail(`--engine ${requested} needs DATABASE_URL`);
  // The server first: the kernel's peak RSS of the process then still describes the server run.
  return requested === 'both' ? ['postgres', 'pglite'] : [requested as Engine];
}

async function explainAll(store: Store, users: BenchUser[]) {
  const [it] = makeIterations(users, 1);
  const query = { userId: it!.user.id, model: MODEL, vector: it!.vector, text: it!.message };
  const plans: Partial<Record<Ranking | 'episodes' | 'duplicates', string[]>> = {};
  for (const ranking of ['hybrid', 'vector'] as const) plans[ranking] = await explainRetrieval(store, query, { ...defaultRetrieveOptions, ranking });
  plans.episodes = await explainEpisodes(store, { ...query, excludeConversationId: it!.user.conversationId }, defaultEpisodeOptions);
  const embedder = instantEmbedder([it!], MODEL);
  const vectors = await embedder.embed(it!.candidates.map((c) => c.factText));
  const probes = it!.candidates.map((c, i) => ({ ...c, userId: it!.user.id, embedding: { model: MODEL, vector: vectors[i]! } }));
  plans.duplicates = await explainStandings(store, probes, defaultMemorySettings.write);
  return plans;
}

/** The database to time on, seeded: with --reuse, one an earlier run seeded alike, if there is one. */
async function seededDatabase(engine: Engine, options: SeedOptions): Promise<{ db: BenchDatabase; seeded: SeedReport; reused: boolean }> {
  const serverUrl = process.env.DATABASE_URL!;
  if (engine === 'postgres' && values.reuse && (await databaseExists(serverUrl, values.database!))) {
    const db = await openBenchPostgres(serverUrl, values.database!, { keep: true });
    const seeded = await previousSeed(db.owner, options);
    if (seeded) {
      const restored = await restoreSeed(db.owner);
      console.log(`[${engine}] --reuse: removed what earlier runs added (${restored.facts} facts, ${restored.conversations} conversations) and vacuumed in ${restored.seconds} s`);
      // The seed's rows and sizes as they are now (its report has those of the day it was made).
      return { db, seeded: { ...seeded, ...(await describeTables(db.owner)) }, reused: true };
    }
    console.log(`[${engine}] --reuse: ${values.database} holds no seed made with these flags; seeding afresh`);
    await db.close();
  }
  const db = engine === 'pglite' ? await openBenchPglite() : await openBenchPostgres(serverUrl, values.database!);
  try {
    const seeded = await seed(db.owner, options, (line) => console.log(`[${engine}] seed: ${line}`));
    if (engine === 'postgres') await recordSeed(db.owner, options, seeded);
    return { db, seeded, reused: false };
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function bench(engine: Engine) {
  const users = engine === 'pglite' ? count('pglite-users') : count('users');
  const turnsPerUser = engine === 'pglite' ? count('pglite-turns-per-user', 0) : count('turns-per-user', 0);
  const rss = trackPeakRss();
  const options: SeedOptions = {
    users,
    factsPerUser,
    turnsPerUser,
    conversationsPerUser: count('conversations-per-user'),
    vocabulary: benchVocabulary(),
    dimensions: DIMENSIONS,
    model: MODEL,
  };
  // PGlite keeps the database inside this process: it runs smaller unless told otherwise.
  const smaller = engine === 'pglite' && users < count('users') ? ` (smaller than the server's ${count('users')}: --pglite-users)` : '';
  const scale = `${users} users${smaller} x (${factsPerUser} facts + ${turnsPerUser} turns with episodes, in ${Math.min(options.conversationsPerUser, turnsPerUser)} conversations)`;
  console.log(`\n[${engine}] seeding ${scale}...`);
  const { db, seeded, reused } = await seededDatabase(engine, options);
  try {
    const settings = await serverSettings(db.app);
    console.log(`[${engine}] ${db.location}; settings: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    console.log(`[${engine}] ${reused ? 'reused the seed of an earlier run, made' : 'seeded'} in ${seeded.seconds} s ${JSON.stringify(seeded.steps)}: rows ${JSON.stringify(seeded.rows)}, MB ${JSON.stringify(seeded.sizesMb)}`);
    const prewarmed = engine === 'postgres' && values.prewarm ? await prewarmKernelCache(db.owner) : undefined;
    if (prewarmed) console.log(`[${engine}] read ${prewarmed.mb} MB of tables and indexes into the kernel's page cache in ${prewarmed.seconds} s (--prewarm)`);
    const sample = await sampleUsers(db.owner, Math.min(users, queries), DIMENSIONS, { model: MODEL, count: turnsPerUser ? ECHOES : 0, window: defaultEpisodeOptions.window });
    const warmup = values.warmup ? count('warmup') : sample.length;
    console.log(`[${engine}] timing ${queries} runs per operation (after ${warmup} warm-up runs) over ${sample.length} users...`);
    const host = { cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), loadAverageBefore: loadavg().map((x) => Math.round(x * 100) / 100) };
    const context = { store: db.app, model: MODEL, users: sample, warmup, queries };
    // On the server: how much of what the timed operations read was not in shared_buffers (a
    // database larger than memory reads from disk, which no change to the queries shows).
    const blocksBefore = engine === 'postgres' ? await blockCounts(db.owner) : undefined;
    const { results, work } = await runOperations(context);
    const blocksAfter = blocksBefore && (await blockCounts(db.owner));
    // Each its own WorkDone: the report's counts describe the operations above.
    const against = values.against ? await compareTurns(context, emptyWork(), await turnCodeAt(values.against)) : undefined;
    const plans = await explainAll(db.app, sample);
    const loadAverageAfter = loadavg().map((x) => Math.round(x * 100) / 100);
    return {
      engine, location: db.location, settings, host: { ...host, loadAverageAfter }, users, factsPerUser, turnsPerUser, conversationsPerUser: options.conversationsPerUser,
      vocabularyWords: options.vocabulary.length, episodeOptions: defaultEpisodeOptions, echoesPerUser: turnsPerUser ? ECHOES : 0,
      sampledUsers: sample.length, warmup, ...(prewarmed && { prewarmed }), seed: { ...seeded, reused }, results, episodeCost: episodeCost(results), work, plans,
      ...(blocksBefore && blocksAfter && { timedBlocks: { read: blocksAfter.read - blocksBefore.read, hit: blocksAfter.hit - blocksBefore.hit } }),
      ...(against && { against: { checkout: values.against, results: against } }),
      peakRssMb: rss.stop(), processPeakRssMb: processPeakRssMb(),
    };
  } finally {
    await db.close();
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

/** What the search of past conversations adds, p50 and p95 of one variant less the other's. */
function episodeCost(results: Record<string, LatencySummary>) {
  const added = (withEpisodes: string, without: string) => ({
    p50: round(results[withEpisodes]!.p50 - results[without]!.p50),
    p95: round(results[withEpisodes]!.p95 - results[without]!.p95),
  });
  return {
    retrieve: added('retrieve (hybrid) + episodes', 'retrieve (hybrid)'),
    buildPrompt: added('build prompt', 'build prompt, no episodes'),
    beforeTheAnswer: added('turn: before the answer', 'turn: before the answer, no episodes'),
    memoryWorkPerTurn: added('memory work per turn', 'memory work per turn, no episodes'),
  };
}

type Run = Awaited<ReturnType<typeof bench>>;

function printRun(run: Run) {
  const facts = run.seed.rows.user_facts!.toLocaleString('en');
  const episodes = (run.seed.rows.episode_embeddings ?? 0).toLocaleString('en');
  console.log(`\n[${run.engine}] PostgreSQL settings: ${Object.entries(run.settings).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  printTable(`[${run.engine}] ${facts} facts and ${episodes} episodes of ${run.users.toLocaleString('en')} users; peak RSS ${run.peakRssMb} MB (process so far ${run.processPeakRssMb} MB)`, run.results);
  console.log(`\nfacts retrieved per query (mean) ${run.work.meanFactsRetrieved}; episodes found per search (mean) ${run.work.meanEpisodesRetrieved}, in the prompt ${run.work.meanEpisodesInPrompt}; facts written: ${JSON.stringify(run.work.writeOutcomes)}`);
  console.log(`load average before ${run.host.loadAverageBefore.join(' ')}, after ${run.host.loadAverageAfter.join(' ')} (${run.host.cpus} cores)`);
  if (run.timedBlocks) {
    const { read, hit } = run.timedBlocks;
    const share = read + hit ? Math.round((1000 * read) / (read + hit)) / 10 : 0;
    console.log(`blocks the timed operations read in from outside shared_buffers (the kernel's cache or the disk): ${read.toLocaleString('en')} (${Math.round((read * 8) / 1024)} MB, ${share}% of ${(read + hit).toLocaleString('en')})`);
  }
  console.log('\nwhat episodes add (with less without, same run, interleaved), ms:');
  for (const [name, d] of Object.entries(run.episodeCost)) console.log(`  ${name}: p50 +${d.p50}, p95 +${d.p95}`);
  if (run.against) printTable(`[${run.engine}] chat turns of this code and of ${run.against.checkout}, alternating`, run.against.results);
  if (run.engine !== 'postgres') return;
  console.log(`\nsizes, MB (table + indexes): ${JSON.stringify(run.seed.sizesMb)}; indexes: ${JSON.stringify(run.seed.indexesMb)}`);
  const planned = (what: string) => ({ episodes: 'retrieveEpisodes', duplicates: "the writer's duplicate check (readStandings) of a turn's 3 facts" })[what] ?? `retrieval (${what})`;
  for (const [what, lines] of Object.entries(run.plans)) console.log(`\nEXPLAIN (ANALYZE, BUFFERS), ${planned(what)}, one user:\n${lines.join('\n')}`);
  const p95 = (name: string) => run.results[name]!.p95;
  const verdict = (ms: number, target: number, what = '') => `${ms} ms ${ms <= target ? 'meets' : 'MISSES'} the ${target} ms${what} target`;
  console.log(`\nretrieval p95: hybrid ${verdict(p95('retrieve (hybrid)'), TARGETS.retrieve)}; vector ${verdict(p95('retrieve (vector)'), TARGETS.retrieve)}`);
  console.log(`memory work per turn p95: ${verdict(p95('memory work per turn'), TARGETS.memoryWorkPerTurn)}`);
  console.log(`episodes add to retrieval p95: ${verdict(run.episodeCost.retrieve.p95, TARGETS.episodesAddToRetrieve, ' added')} (retrieve episodes alone: p95 ${p95('retrieve episodes')} ms)`);
  console.log(`episodes add to before-the-answer p95: ${verdict(run.episodeCost.beforeTheAnswer.p95, TARGETS.episodesAddBeforeTheAnswer, ' added')}`);
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
if (values.baseline) printBaselineComparison(report, values.baseline, new Set(['p50', 'p95', 'p99']));
