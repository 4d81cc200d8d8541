/**
 * `npm run bench:episodes`: the search of past conversations (retrieveEpisodes,
 * lib/memory/episodes.ts) at other settings than the product's, on the database `bench:memory`
 * seeded (run that first, on the same DATABASE_URL and --database): how many of the window's
 * nearest by sign bits are compared exactly (`rerank`), and how many of a user's newest messages
 * are searched by meaning (`window`). Each setting runs through the product's own function, so
 * nothing here can drift from it.
 *
 * Timing: as the app role, as prepareTurn runs the search (its own read-only unit), alone and at
 * once with the facts' search, against the facts' search alone, for a user whose conversation is
 * under way (their previous turn's reads done just before; bench:memory times a user's first
 * question after hundreds of others'); the settings in an order that rotates, each run on a
 * question of its own, since the re-rank reads other pages for each question (a question asked
 * twice finds the first asking's pages cached).
 *
 * Recall: each setting's nearest 8 and 30 by meaning against exact search over the product's
 * window, on real embedder vectors, never the bench's random ones: LoCoMo's dev conversations
 * (`--locomo DIR`, read at run time, never stored in the project) as one user's ~2,100 episodes
 * (every turn and observation), embedded with the offline default embedder, their questions the
 * queries.
 *
 * Earlier versions also timed other layouts (side tables of bit copies, a covering index of
 * words); the choices they informed are migrations 0019 and 0023, and their figures are in the
 * README ("Past conversations at scale"). Flags: see --help.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { createOfflineEmbedder, DEFAULT_OFFLINE_EMBEDDER } from '@/lib/ai/offline/embedder';
import type { Database } from '@/lib/db/client';
import { selectRows } from '@/lib/db/rows';
import { ONE_STATEMENT, type Store } from '@/lib/db/store';
import { defaultEpisodeOptions, retrieveEpisodes, type EpisodeOptions, type EpisodeQuery } from '@/lib/memory/episodes';
import { defaultRetrieveOptions, NEAREST_KEPT_FOR_PROMPT, retrieveFacts } from '@/lib/memory/retrieve';
import { vectorParam } from '@/lib/memory/stored-vector';
import { loadConversations } from '../locomo/load';
import { openBenchPostgres } from './engines';
import { makeIterations, sampleUsers, type BenchUser, type Iteration } from './fixtures';
import { explainEpisodes, serverSettings } from './plans';
import { databaseExists } from './scratch-database';
import { summarize, type LatencySummary } from './stats';
import { parseCommand } from '../cli';

const cli = parseCommand({
  name: 'npm run bench:episodes',
  summary: `The search of past conversations at other settings than the product's (how many candidates are
compared exactly, how many messages are searched by meaning), through the product's own function:
timed as the app role on the database bench:memory seeded on the server of DATABASE_URL (run that
first), and its recall against exact search on LoCoMo's dev conversations embedded by the offline
embedder.`,
  options: {
    database: { type: 'string', default: 'engram_bench', value: 'NAME', help: 'The database bench:memory seeded' },
    users: { type: 'string', default: '300', value: 'N', help: 'Sampled users' },
    queries: { type: 'string', default: '900', value: 'N', help: 'Timed runs per setting' },
    warmup: { type: 'string', default: '3', value: 'N', help: 'Untimed rounds over the sampled users first' },
    rerank: { type: 'string', default: '100,150,200,400', value: 'N,...', help: 'Candidates compared exactly, each with the default window' },
    windows: { type: 'string', default: '500', value: 'N,...', help: 'Windows searched by meaning, each with the default re-rank' },
    locomo: { type: 'string', default: '../shared/bench/locomo', value: 'DIR', help: 'LoCoMo files for the recall check' },
    json: { type: 'string', value: 'FILE', help: 'Also write the report to FILE' },
    'recall-only': { type: 'boolean', default: false, help: 'Only the recall check (no timing)' },
  },
});
const { values } = cli;

const positive = (text: string, what: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) cli.fail(`${what} must be a whole number of at least 1, got ${JSON.stringify(text)}`);
  return n;
};
const list = (text: string, what: string) => text.split(',').map((t) => positive(t.trim(), what));

/** bench:memory's synthetic embedder (scripts/bench-memory.ts). */
const BENCH_MODEL = 'bench-embedder';
const RECALL_USER = '00000000-0000-4000-8000-0000000e1501';
/** The fusion's pool per ranking (lib/memory/episodes.ts POOL): recall@30 is what fusion can pick from. */
const POOL = 30;

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

interface Setting {
  name: string;
  options: EpisodeOptions;
}

/** The product's setting first, then each re-rank depth and each window tried, once each. */
function settings(reranks: number[], windows: number[]): Setting[] {
  const { rerank, window } = defaultEpisodeOptions;
  const pairs = [[rerank, window], ...reranks.map((r) => [r, window]), ...windows.map((w) => [rerank, w])];
  const seen = new Set<string>();
  return pairs.flatMap(([r, w]) => {
    const name = `re-rank ${r}, window ${w}${r === rerank && w === window ? ' (product)' : ''}`;
    if (seen.has(`${r}/${w}`)) return [];
    seen.add(`${r}/${w}`);
    return [{ name, options: { ...defaultEpisodeOptions, rerank: r!, window: w!, keepNearest: NEAREST_KEPT_FOR_PROMPT.excerpts } }];
  });
}

// ---------------------------------------------------------------------------------------------
// Timing.

const queryOf = (it: Iteration): EpisodeQuery => ({
  userId: it.user.id,
  model: BENCH_MODEL,
  vector: it.vector,
  text: it.message,
  excludeConversationId: it.user.conversationId,
});

/** Each as prepareTurn reads it: a read-only unit of one statement. */
const searchEpisodes = (store: Store, it: Iteration, options: EpisodeOptions) =>
  store.readAsUser(it.user.id, (tx) => retrieveEpisodes(tx, queryOf(it), options), ONE_STATEMENT);
const searchFacts = (store: Store, it: Iteration) =>
  store.readAsUser(
    it.user.id,
    (tx) => retrieveFacts(tx, { userId: it.user.id, model: BENCH_MODEL, vector: it.vector, text: it.message }, { ...defaultRetrieveOptions, keepNearest: NEAREST_KEPT_FOR_PROMPT.facts }),
    ONE_STATEMENT,
  );

async function timed<T>(samples: number[] | undefined, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  samples?.push(performance.now() - started);
  return result;
}

/**
 * Rounds over the users, each as a turn of a conversation under way: first, untimed, the reads of
 * the user's previous turn (the facts' search and the product's search of past chats, which bring
 * the user's facts and newest sign bits into memory); then, in an order that rotates by round, the
 * facts' search alone and each setting alone and at once with the facts' search, each on a
 * question of its own.
 */
async function timeSettings(store: Store, all: Setting[], users: BenchUser[], warmupRounds: number, runs: number) {
  const alone = all.map(() => [] as number[]);
  const withFacts = all.map(() => [] as number[]);
  const factsAlone: number[] = [];
  const found = all.map(() => 0);
  const rounds = warmupRounds * users.length + runs;
  for (let r = 0; r < rounds; r++) {
    const timing = r >= warmupRounds * users.length;
    const questions = makeIterations([users[r % users.length]!], 2 * all.length + 3);
    const previous = questions.pop()!;
    await Promise.all([searchFacts(store, previous), searchEpisodes(store, previous, defaultEpisodeOptions)]);
    // Item all.length is the facts' search alone.
    for (let j = 0; j <= all.length; j++) {
      const item = (r + j) % (all.length + 1);
      const [one, two] = [questions[2 * item]!, questions[2 * item + 1]!];
      if (item === all.length) {
        await timed(timing ? factsAlone : undefined, () => searchFacts(store, one));
        continue;
      }
      const options = all[item]!.options;
      const rows = await timed(timing ? alone[item] : undefined, () => searchEpisodes(store, one, options));
      await timed(timing ? withFacts[item] : undefined, () => Promise.all([searchFacts(store, two), searchEpisodes(store, two, options)]));
      if (timing) found[item]! += rows.length;
    }
  }
  const base = summarize(factsAlone);
  return {
    factsAlone: base,
    settings: all.map((setting, s) => {
      const both = summarize(withFacts[s]!);
      return {
        name: setting.name,
        alone: summarize(alone[s]!),
        withFacts: both,
        addedToFacts: { p50: round(both.p50 - base.p50, 2), p95: round(both.p95 - base.p95, 2) },
        meanFound: round(found[s]! / runs, 1),
      };
    }),
  };
}

function printTiming(title: string, timing: Awaited<ReturnType<typeof timeSettings>>) {
  const row = (name: string, s: LatencySummary) => `| ${name} | ${s.n} | ${s.p50} | ${s.p95} | ${s.p99} | ${s.mean} |`;
  console.log(`\n${title}\n\n| what | n | p50 ms | p95 ms | p99 ms | mean ms |\n|---|--:|--:|--:|--:|--:|`);
  console.log(row('facts alone', timing.factsAlone));
  for (const s of timing.settings) {
    console.log(row(`${s.name}: past chats alone`, s.alone));
    console.log(row(`${s.name}: with the facts, at once`, s.withFacts));
  }
  console.log('\nwhat past chats add to the facts\' search (at once, less facts alone), ms:');
  for (const s of timing.settings) console.log(`  ${s.name}: p50 +${s.addedToFacts.p50}, p95 +${s.addedToFacts.p95} (excerpts found per search ${s.meanFound})`);
}

// ---------------------------------------------------------------------------------------------
// Recall on real vectors.

interface RecallSet {
  userId: string;
  model: string;
  episodes: number;
  queries: { text: string; vector: number[] }[];
  seconds: number;
}

/** A text[] literal of any strings, as one parameter. */
function toTextArray(items: string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** One user whose episodes are LoCoMo's turns and observations, embedded; its questions as queries. */
async function loadRecallSet(owner: Database, dir: string): Promise<RecallSet | undefined> {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f));
  if (!files.length) return undefined;
  const started = performance.now();
  const conversations = files.flatMap((file) => loadConversations(file));
  const embedder = createOfflineEmbedder(DEFAULT_OFFLINE_EMBEDDER);
  await owner.execute(sql`DELETE FROM users WHERE id = ${RECALL_USER}`);
  await owner.execute(sql`INSERT INTO users (id, is_anonymous) VALUES (${RECALL_USER}, true)`);
  let episodes = 0;
  for (const conversation of conversations) {
    const texts = [...conversation.sessions.flatMap((s) => s.turns.map((t) => t.text)), ...conversation.observations.map((o) => o.text)];
    const vectors = await embedder.embed(texts);
    const [c] = await selectRows<{ id: string }>(owner, sql`INSERT INTO conversations (user_id, title) VALUES (${RECALL_USER}, ${`LoCoMo ${conversation.name}`}) RETURNING id`);
    for (let at = 0; at < texts.length; at += 200) {
      const batch = texts.slice(at, at + 200);
      const turns = await selectRows<{ id: string }>(
        owner,
        sql`INSERT INTO conversation_turns (user_id, conversation_id, role, content, extracted_at)
            SELECT ${RECALL_USER}, ${c!.id}, 'user', content, now() FROM unnest(${toTextArray(batch)}::text[]) WITH ORDINALITY AS x(content, n)
            ORDER BY n RETURNING id`,
      );
      const stored = batch.map((_, i) => JSON.stringify(vectors[at + i]));
      await owner.execute(sql`
        INSERT INTO episode_embeddings (turn_id, user_id, conversation_id, model, embedding)
        SELECT x.turn_id, ${RECALL_USER}, ${c!.id}, ${embedder.model}, x.embedding::halfvec
        FROM unnest(${`{${turns.map((t) => t.id).join(',')}}`}::bigint[], ${toTextArray(stored)}::text[]) AS x(turn_id, embedding)`);
      episodes += batch.length;
    }
  }
  const questions = conversations.flatMap((c) => c.questions.map((q) => q.question));
  const vectors = await embedder.embed(questions);
  return { userId: RECALL_USER, model: embedder.model, episodes, queries: questions.map((text, i) => ({ text, vector: vectors[i]! })), seconds: seconds(started) };
}

/** The reference: the exact nearest POOL among the user's newest `window`, with their similarity. */
function exactNearest(tx: Database, q: EpisodeQuery, window: number) {
  return selectRows<{ turn_id: string; distance: number }>(
    tx,
    sql`SELECT w.turn_id, w.embedding <=> ${vectorParam(q.vector, q.model)}::halfvec AS distance
        FROM (
          SELECT turn_id, embedding FROM episode_embeddings
          WHERE user_id = ${q.userId} AND model = ${q.model}
          ORDER BY turn_id DESC LIMIT ${window}
        ) w
        ORDER BY distance, w.turn_id LIMIT ${POOL}`,
  ).then((rows) => rows.map((r) => ({ id: Number(r.turn_id), similarity: 1 - Number(r.distance) })));
}

interface RecallResult {
  setting: string;
  recallAt8: number;
  recallAt30: number;
  /**
   * Over the exact top 8 that clear the similarity floor (the rest never reach the prompt), for
   * the queries that have any; `queriesAboveFloor` says how many.
   */
  recallAt8AboveFloor: number;
  queriesAboveFloor: number;
}

/**
 * Each setting's nearest by meaning, through retrieveEpisodes with no words in the question and no
 * floor (so its top POOL is the vector side's, in order), against exact search over the product's
 * window: for a smaller window, what the approximation and the narrower scope lose together.
 */
async function measureRecall(store: Store, set: RecallSet, all: Setting[]): Promise<RecallResult[]> {
  const floor = defaultEpisodeOptions.minSimilarity;
  const totals = all.map(() => ({ at8: 0, at30: 0, floor8: 0, floorQueries: 0 }));
  await store.asUser(set.userId, async (tx) => {
    for (const query of set.queries) {
      // A conversation of nobody's: nothing is excluded.
      const q: EpisodeQuery = { userId: set.userId, model: set.model, vector: query.vector, text: '', excludeConversationId: '00000000-0000-4000-8000-000000000000' };
      const reference = await exactNearest(tx, q, defaultEpisodeOptions.window);
      const top8 = reference.slice(0, 8).map((r) => r.id);
      const aboveFloor = reference.slice(0, 8).filter((r) => r.similarity >= floor).map((r) => r.id);
      for (const [s, setting] of all.entries()) {
        const found = (await retrieveEpisodes(tx, q, { ...setting.options, k: POOL, minSimilarity: -1, keepNearest: POOL })).map((e) => e.turnId);
        const share = (expected: number[], k: number) => found.slice(0, k).filter((id) => expected.includes(id)).length / (expected.length || 1);
        totals[s]!.at8 += share(top8, 8);
        totals[s]!.at30 += share(reference.map((r) => r.id), POOL);
        if (aboveFloor.length) {
          totals[s]!.floor8 += share(aboveFloor, 8);
          totals[s]!.floorQueries += 1;
        }
      }
    }
  });
  return all.map((setting, s) => ({
    setting: setting.name,
    recallAt8: round(totals[s]!.at8 / set.queries.length),
    recallAt30: round(totals[s]!.at30 / set.queries.length),
    recallAt8AboveFloor: round(totals[s]!.floor8 / (totals[s]!.floorQueries || 1)),
    queriesAboveFloor: totals[s]!.floorQueries,
  }));
}

async function recallReport(db: { owner: Database; app: Store }, all: Setting[]) {
  const set = await loadRecallSet(db.owner, values.locomo!);
  if (!set) {
    console.log(`\nrecall: no LoCoMo files in ${values.locomo}; skipped (real embedder vectors are needed, not the bench's random ones)`);
    return {};
  }
  console.log(`\nrecall on real vectors: ${set.episodes} LoCoMo turns and observations of one user, ${set.queries.length} questions, embedder ${set.model} (${set.seconds} s)`);
  const recall = await measureRecall(db.app, set, all);
  console.log(`\n| setting | recall@8 | recall@${POOL} | recall@8 of the exact top 8 above ${defaultEpisodeOptions.minSimilarity} (queries) |\n|---|--:|--:|--:|`);
  for (const r of recall) console.log(`| ${r.setting} | ${r.recallAt8} | ${r.recallAt30} | ${r.recallAt8AboveFloor} (${r.queriesAboveFloor}) |`);
  console.log(`(against exact search over the newest ${defaultEpisodeOptions.window})`);
  return { recall, recallSet: { ...set, queries: set.queries.length } };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const serverUrl = cli.requireEnv('DATABASE_URL', 'it runs on the server bench:memory seeded');
  const database = values.database!;
  if (!(await databaseExists(serverUrl, database))) cli.fail(`no database ${database} on the server of DATABASE_URL: run bench:memory there first`);
  const all = settings(list(values.rerank!, '--rerank'), list(values.windows!, '--windows'));
  const db = await openBenchPostgres(serverUrl, database, { keep: true });
  try {
    const serverSettingsNow = await serverSettings(db.app);
    console.log(`PostgreSQL settings: ${Object.entries(serverSettingsNow).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    const [scale] = await selectRows<{ users: number; episodes: number }>(
      db.owner,
      sql`SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM episode_embeddings WHERE model = ${BENCH_MODEL})::int AS episodes`,
    );
    console.log(`${database}: ${scale!.users} users, ${scale!.episodes} bench episodes`);
    let timing: Awaited<ReturnType<typeof timeSettings>> | undefined;
    let plan: string[] | undefined;
    if (!values['recall-only']) {
      let at = performance.now();
      // The width bench:memory seeded (its --dimensions): the sampled users' new episodes get the same.
      const [seeded] = await selectRows<{ width: number }>(
        db.owner,
        sql`SELECT vector_dims(embedding) AS width FROM episode_embeddings WHERE model = ${BENCH_MODEL} LIMIT 1`,
      );
      const users = await sampleUsers(db.owner, positive(values.users!, '--users'), seeded!.width, { model: BENCH_MODEL, count: 20, window: defaultEpisodeOptions.window });
      console.log(`sampled ${users.length} users (${seconds(at)} s)`);
      const warmup = positive(values.warmup!, '--warmup');
      const runs = positive(values.queries!, '--queries');
      at = performance.now();
      timing = await timeSettings(db.app, all, users, warmup, runs);
      printTiming(
        `Past chats in a conversation under way, ${runs} runs per setting over ${users.length} users after ${warmup} untimed rounds (${seconds(at)} s), as the app role`,
        timing,
      );
      const [it] = makeIterations(users, 1);
      plan = await explainEpisodes(db.app, queryOf(it!), all[0]!.options);
      console.log(`\nEXPLAIN (ANALYZE, BUFFERS), ${all[0]!.name}, one user:\n${plan.join('\n')}`);
    }
    const recall = await recallReport(db, all);
    const loadAverage = loadavg().map((x) => round(x, 2));
    console.log(`\nload average at the end: ${loadAverage.join(' ')} (${cpus().length} cores)`);
    const report = { date: new Date().toISOString(), database, settings: serverSettingsNow, loadAverage, scale, timing, plan, ...recall };
    if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await db.close();
  }
}

await main();
