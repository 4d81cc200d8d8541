/**
 * `npm run bench:episodes`: ways to search past conversations at scale, tried on the database
 * `bench:memory` seeded (run that first, on the same DATABASE_URL and --database). Nothing in lib/
 * changes: each way is its own SQL here, answering what retrieveEpisodes answers (the top k
 * excerpts, fused from meaning and words; the exact ones are checked to answer exactly as it does),
 * timed as the app role in units of work, round-robin over the same inputs.
 *
 * Ways: the product's statement with its default window, smaller windows, and words only (window
 * 0); the same rewritten so row-level security's misestimates cannot mis-plan it ("fixed SQL",
 * episodeStatement); the newest window's ids from a covering index, then exact; an exact copy of
 * the offline embedder's width in a covering B-tree `(user_id, model, turn_id DESC)
 * INCLUDE (conversation_id, narrow)`, read by an index-only scan without any heap page; a
 * binary-quantized copy (`binary_quantize(embedding)::bit(1536)`, 192 bytes) in the same kind of
 * index, whose Hamming distance picks R candidates among all of the user's episodes, re-ranked
 * exactly; the same with sign bits of v and -v (ternary, 384 bytes), for vectors with zeros (the
 * offline embedder's hashed half). The copies live in a side table, `bench_episode_bits` (same
 * key, same row-level security): an index-only scan reads the same index pages whether the column
 * is in episode_embeddings or beside it, and the re-rank reads episode_embeddings either way. Then
 * the words of the user's turns in a covering B-tree too (LEX_INDEX), and what each way adds to
 * retrieval (facts then episodes in one unit of work, against facts alone, interleaved).
 *
 * Recall: an approximate way is compared with exact search on real embedder vectors, never the
 * bench's random ones: LoCoMo's dev conversations (`--locomo DIR`, read at run time, never stored
 * in the project) are one user's episodes (every turn and observation, ~2,100), embedded with the
 * offline default embedder, and their questions are the queries; recall@8 = the share of the exact
 * top 8 found in the approximate top 8 (also @30, the pool fusion takes).
 *
 * Flags: see --help.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import { createOfflineEmbedder, DEFAULT_OFFLINE_EMBEDDER } from '@/lib/ai/offline/embedder';
import type { Database } from '@/lib/db/client';
import { selectRows } from '@/lib/db/rows';
import type { Store } from '@/lib/db/store';
import { defaultEpisodeOptions, retrieveEpisodes, type EpisodeOptions, type EpisodeQuery } from '@/lib/memory/episodes';
import { defaultRetrieveOptions, retrieveFacts } from '@/lib/memory/retrieve';
import { toStoredVector } from '@/lib/memory/stored-vector';
import { loadConversations } from '../locomo/load';
import { openBenchPostgres } from './engines';
import { makeIterations, sampleUsers, type Iteration } from './fixtures';
import { explainStatement, serverSettings } from './plans';
import { BENCH_APP_ROLE, databaseExists } from './scratch-database';
import { summarize, type LatencySummary } from './stats';
import { parseCommand } from '../cli';

const cli = parseCommand({
  name: 'npm run bench:episodes',
  summary: `Ways to search past conversations at scale, timed as the app role on the database bench:memory
seeded on the server of DATABASE_URL (run that first), with recall against exact search on
LoCoMo's dev conversations embedded by the offline embedder.`,
  options: {
    database: { type: 'string', default: 'engram_bench', value: 'NAME', help: 'The database bench:memory seeded' },
    users: { type: 'string', default: '200', value: 'N', help: 'Sampled users' },
    queries: { type: 'string', default: '400', value: 'N', help: 'Timed runs per way' },
    rerank: { type: 'string', default: '100,200,400', value: 'N,...', help: 'Re-rank depths timed' },
    'recall-rerank': { type: 'string', default: '50,100,200,400,800', value: 'N,...', help: 'Re-rank depths of the recall check' },
    windows: { type: 'string', default: '200,500', value: 'N,...', help: 'Episode windows tried' },
    locomo: { type: 'string', default: '../shared/bench/locomo', value: 'DIR', help: 'LoCoMo files for the recall check' },
    json: { type: 'string', value: 'FILE', help: 'Also write the report to FILE' },
    'recall-only': { type: 'boolean', default: false, help: "Only the product's search against exact search on LoCoMo (no copy, no timing)" },
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
/** As in lib/memory/episodes.ts: candidates per ranking before fusion, and the RRF constant. */
const POOL = 30;
const RRF_K = 60;
const RECALL_USER = '00000000-0000-4000-8000-0000000e1501';
/**
 * The width of the exact copy kept in a covering index: the default offline embedder's own (its
 * whole vector, now that vectors are stored at their width). A B-tree entry holds at most 2,704
 * bytes: a halfvec of at most ~1,340 dimensions.
 */
const NARROW = createOfflineEmbedder(DEFAULT_OFFLINE_EMBEDDER).dimensions;

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------------
// The side table and the indexes tried.

/** Creates (first time) or brings up to date (the given users) the binary copy of the episodes. */
async function prepareBits(owner: Database, users: string[]): Promise<Record<string, number>> {
  const steps: Record<string, number> = {};
  const [existing] = await selectRows<{ found: boolean }>(owner, sql`SELECT to_regclass('bench_episode_bits') IS NOT NULL AS found`);
  let at = performance.now();
  const copy = sql`SELECT e.turn_id, e.model, e.user_id, e.conversation_id,
                          binary_quantize(e.embedding)::bit(1536),
                          binary_quantize(e.embedding)::bit(1536) || binary_quantize(array_fill(0::real, ARRAY[vector_dims(e.embedding)])::halfvec - e.embedding)::bit(1536),
                          subvector(e.embedding, 1, ${NARROW}::int)::halfvec(${sql.raw(String(NARROW))})
                   FROM episode_embeddings e`;
  if (!existing?.found) {
    await owner.execute(sql`
      CREATE TABLE bench_episode_bits (
        turn_id bigint NOT NULL, model text NOT NULL, user_id uuid NOT NULL, conversation_id uuid NOT NULL,
        bits bit(1536) NOT NULL, signs bit(3072) NOT NULL, narrow halfvec(${sql.raw(String(NARROW))}) NOT NULL,
        PRIMARY KEY (turn_id, model))`);
    await owner.execute(sql`ALTER TABLE bench_episode_bits ENABLE ROW LEVEL SECURITY`);
    await owner.execute(sql`ALTER TABLE bench_episode_bits FORCE ROW LEVEL SECURITY`);
    // The policy of episode_embeddings (drizzle/0010_episodes.sql).
    await owner.execute(sql`
      CREATE POLICY bench_episode_bits_owner_only ON bench_episode_bits AS PERMISSIVE FOR ALL TO public
      USING (user_id::text = current_setting('app.user_id', true) OR current_setting('app.user_id', true) = 'system')`);
    await owner.execute(sql.raw(`GRANT SELECT ON bench_episode_bits TO ${BENCH_APP_ROLE.name}`));
    await owner.execute(sql`INSERT INTO bench_episode_bits ${copy} ORDER BY e.turn_id`);
    steps['copy all episodes'] = seconds(at);
    for (const column of ['bits', 'signs', 'narrow']) {
      at = performance.now();
      await owner.transaction(async (tx) => {
        await tx.execute(sql`SET LOCAL maintenance_work_mem = '1GB'`);
        await tx.execute(sql.raw(`CREATE INDEX bench_episode_${column}_cover ON bench_episode_bits (user_id, model, turn_id DESC) INCLUDE (conversation_id, ${column})`));
      });
      steps[`covering index (${column})`] = seconds(at);
    }
  } else {
    // Episodes echoed or added since, for the users about to be timed (the rest are never read).
    await owner.execute(sql`
      INSERT INTO bench_episode_bits ${copy} WHERE e.user_id = ANY(${`{${users.join(',')}}`}::uuid[])
      ON CONFLICT (turn_id, model) DO UPDATE SET bits = EXCLUDED.bits, signs = EXCLUDED.signs, narrow = EXCLUDED.narrow
      WHERE bench_episode_bits.narrow <> EXCLUDED.narrow`);
    steps['sync sampled users'] = seconds(at);
  }
  at = performance.now();
  // As autovacuum would leave it: all-visible pages, so index-only scans read no heap.
  await owner.execute(sql`VACUUM ANALYZE bench_episode_bits`);
  steps['vacuum analyze'] = seconds(at);
  return steps;
}

/**
 * The words of a user's turns in a covering B-tree, for the search by words under row-level
 * security. A GIN index on content_search (the product's, or one on (user_id, content_search)
 * with btree_gin) cannot serve the app role: `@@` (ts_match_vq) is not LEAKPROOF, so PostgreSQL
 * never evaluates it inside an index below the policy's check, and the app role's plan reads every
 * turn of the user from the heap to test it. An index-only scan of this index tests `@@` on the
 * index tuples of the user's turns, a few dozen contiguous pages.
 */
const LEX_INDEX = 'bench_turns_words_cover';

async function createLexIndex(owner: Database): Promise<number> {
  const at = performance.now();
  await owner.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL maintenance_work_mem = '1GB'`);
    await tx.execute(sql.raw(`CREATE INDEX IF NOT EXISTS ${LEX_INDEX} ON conversation_turns (user_id, id DESC) INCLUDE (conversation_id, content_search) WHERE role = 'user'`));
  });
  // As autovacuum would leave the table: all-visible pages, so the index-only scan reads no heap.
  await owner.execute(sql`VACUUM ANALYZE conversation_turns`);
  return seconds(at);
}

const dropLexIndex = (owner: Database) => owner.execute(sql.raw(`DROP INDEX IF EXISTS ${LEX_INDEX}`));

async function sizesMb(owner: Database): Promise<Record<string, number>> {
  const rows = await selectRows<{ name: string; mb: number }>(
    owner,
    sql`SELECT c.relname AS name, round(pg_relation_size(c.oid) / 1048576.0)::int AS mb FROM pg_class c
        WHERE c.relname IN ('bench_episode_bits', 'bench_episode_bits_cover', 'bench_episode_signs_cover', 'bench_episode_narrow_cover', ${LEX_INDEX},
                            'episode_embeddings', 'episode_embeddings_user_model_turn_bits_idx', 'conversation_turns', 'episode_words')`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.mb]));
}

// ---------------------------------------------------------------------------------------------
// The ways, as SQL. Each answers the top k of the fused list, like retrieveEpisodes.

interface Candidates {
  /** Which bit copy picks the candidates. */
  copy: 'bits' | 'signs';
  /** Candidates re-ranked exactly. */
  rerank: number;
  /** Only the newest `window` episodes, or all of them. */
  window?: number;
}

const storedVector = (q: EpisodeQuery) => JSON.stringify(toStoredVector(q.vector, q.model));

/** The query's bit copy, computed as the stored one is. */
function queryBits(copy: Candidates['copy'], vector: string): SQL {
  if (copy === 'bits') return sql`binary_quantize(${vector}::halfvec)::bit(1536)`;
  return sql`(binary_quantize(${vector}::halfvec)::bit(1536) || binary_quantize(array_fill(0::real, ARRAY[vector_dims(${vector}::halfvec)])::halfvec - ${vector}::halfvec)::bit(1536))`;
}

/** The user's rows of the side table, all or the newest `window`, read from a covering index. */
function mineFromCopy(q: EpisodeQuery, columns: SQL, window?: number, alias = 'b'): SQL {
  const mine = sql`b.user_id = ${q.userId} AND b.model = ${q.model} AND b.conversation_id <> ${q.excludeConversationId}`;
  const as = sql.identifier(alias);
  return window
    ? sql`(SELECT b.turn_id, ${columns} FROM bench_episode_bits b WHERE ${mine} ORDER BY b.turn_id DESC LIMIT ${window}) ${as}`
    : sql`(SELECT b.turn_id, ${columns} FROM bench_episode_bits b WHERE ${mine}) ${as}`;
}

/** The full vector of each candidate: one primary-key probe each (LIMIT 1), whatever the planner estimates. */
const probeEmbedding = (q: EpisodeQuery) => sql`
    CROSS JOIN LATERAL (
      SELECT e.embedding FROM episode_embeddings e WHERE e.turn_id = cand.turn_id AND e.model = ${q.model} AND e.user_id = ${q.userId} LIMIT 1
    ) e`;

/** The nearest POOL of the user's episodes: Hamming distance over the copy, then exact on `rerank`. */
function binaryNearest(q: EpisodeQuery, c: Candidates): SQL {
  const vector = storedVector(q);
  const column = sql`b.${sql.identifier(c.copy)}`;
  return sql`
    SELECT cand.turn_id, e.embedding <=> ${vector}::halfvec AS distance
    FROM (SELECT b.turn_id FROM ${mineFromCopy(q, column, c.window)} ORDER BY ${column} <~> ${queryBits(c.copy, vector)} LIMIT ${c.rerank}) cand
    ${probeEmbedding(q)}
    ORDER BY distance LIMIT ${POOL}`;
}

/**
 * retrieveEpisodes' own vector side (lib/memory/episodes.ts): the newest `window` ranked on
 * episode_embeddings.embedding_bits, the nearest `rerank` compared exactly.
 */
function productNearest(q: EpisodeQuery, rerank: number, window: number): SQL {
  const vector = storedVector(q);
  return sql`
    SELECT cand.turn_id, e.embedding <=> ${vector}::halfvec AS distance
    FROM (
      SELECT w.turn_id FROM (
        SELECT b.turn_id, b.embedding_bits FROM episode_embeddings b
        WHERE b.user_id = ${q.userId} AND b.model = ${q.model} AND b.conversation_id <> ${q.excludeConversationId}
        ORDER BY b.turn_id DESC LIMIT ${window}
      ) w
      ORDER BY w.embedding_bits <~> binary_quantize(${vector}::halfvec), w.turn_id DESC LIMIT ${rerank}
    ) cand
    ${probeEmbedding(q)}
    ORDER BY distance LIMIT ${POOL}`;
}

/** Exact, on the copy of the embedder's own width kept in the covering index: no heap read at all. */
function narrowNearest(q: EpisodeQuery, window?: number): SQL {
  const vector = JSON.stringify(toStoredVector(q.vector, q.model).slice(0, NARROW));
  return sql`
    SELECT b.turn_id, b.narrow <=> ${vector}::halfvec(${sql.raw(String(NARROW))}) AS distance
    FROM ${mineFromCopy(q, sql`b.narrow`, window)}
    ORDER BY distance LIMIT ${POOL}`;
}

/** Exact over the newest `window`: their ids from a covering index (with conversation_id), then one probe each. */
function probedWindowNearest(q: EpisodeQuery, window: number): SQL {
  return sql`
    SELECT cand.turn_id, e.embedding <=> ${storedVector(q)}::halfvec AS distance
    FROM ${mineFromCopy(q, sql`b.conversation_id`, window, 'cand')}
    ${probeEmbedding(q)}
    ORDER BY distance LIMIT ${POOL}`;
}

/** The exact nearest POOL among the newest `window` (retrieveEpisodes' own vector side). */
function exactNearest(q: EpisodeQuery, window: number): SQL {
  return sql`
    SELECT w.turn_id, w.embedding <=> ${storedVector(q)}::halfvec AS distance
    FROM (
      SELECT turn_id, embedding FROM episode_embeddings
      WHERE user_id = ${q.userId} AND model = ${q.model} AND conversation_id <> ${q.excludeConversationId}
      ORDER BY turn_id DESC LIMIT ${window}
    ) w
    ORDER BY distance LIMIT ${POOL}`;
}

/**
 * retrieveEpisodes' statement with the vector side swapped for `nearest`; with `fixed`, rewritten
 * so that row-level security's misestimates cannot choose its plan. The policy's OR of
 * current_setting() calls is given ~1% selectivity, so a user's 2,000 rows are planned as 20,
 * and the product's statement then reads all of the user's turns twice (the search by words
 * starts from the user's episodes and probes each turn; the fused rows are joined by scanning
 * every turn of every conversation of the user). The fixed statement:
 * - gives the search by words its tsquery inline, not from a joined subquery, so the GIN index on
 *   content_search can serve `@@` (a joined value cannot be an index condition);
 * - checks a matching turn's episode, and fetches each fused row's turn and conversation, with one
 *   primary-key probe each: LATERAL (... LIMIT 1), which the planner cannot flatten into a join.
 */
function episodeStatement(q: EpisodeQuery, options: EpisodeOptions, nearest: SQL, { fixed = false } = {}): SQL {
  const { userId, excludeConversationId: current } = q;
  const vec = sql`vec AS (
          SELECT turn_id AS id, 1 - distance AS similarity, row_number() OVER (ORDER BY distance, turn_id) AS rank
          FROM (${nearest}) nearest
        )`;
  const fused = sql`fused AS MATERIALIZED (
          SELECT COALESCE(vec.id, lex.id) AS id, vec.similarity,
                 COALESCE(1.0 / (${RRF_K} + vec.rank), 0) + COALESCE(1.0 / (${RRF_K} + lex.rank), 0) AS score
          FROM vec FULL JOIN lex ON lex.id = vec.id
          WHERE vec.similarity >= ${options.minSimilarity} OR lex.id IS NOT NULL
        )`;
  if (!fixed) {
    return sql`WITH ${vec},
        lex AS (
          SELECT t.id, row_number() OVER (ORDER BY ts_rank_cd(t.content_search, q.query) DESC, t.id DESC) AS rank
          FROM conversation_turns t,
               (SELECT replace(plainto_tsquery('english', ${q.text})::text, '&', '|')::tsquery AS query) q
          WHERE t.user_id = ${userId} AND t.role = 'user' AND t.conversation_id <> ${current}
            AND t.content_search @@ q.query
            AND EXISTS (SELECT 1 FROM episode_embeddings e WHERE e.turn_id = t.id AND e.user_id = ${userId})
          ORDER BY rank LIMIT ${POOL}
        ),
        ${fused}
        SELECT t.id, t.conversation_id, c.title, t.content, t.created_at,
               fused.similarity::float8 AS similarity, fused.score::float8 AS score
        FROM fused
        JOIN conversation_turns t ON t.id = fused.id AND t.user_id = ${userId}
        JOIN conversations c ON c.id = t.conversation_id AND c.user_id = ${userId}
        ORDER BY fused.score DESC, t.id DESC
        LIMIT ${options.k}`;
  }
  const words = sql`replace(plainto_tsquery('english', ${q.text})::text, '&', '|')::tsquery`;
  return sql`WITH ${vec},
        lex AS (
          SELECT t.id, row_number() OVER (ORDER BY ts_rank_cd(t.content_search, ${words}) DESC, t.id DESC) AS rank
          FROM conversation_turns t
          CROSS JOIN LATERAL (SELECT 1 FROM episode_embeddings e WHERE e.turn_id = t.id AND e.user_id = ${userId} LIMIT 1) kept
          WHERE t.user_id = ${userId} AND t.role = 'user' AND t.conversation_id <> ${current}
            AND t.content_search @@ ${words}
          ORDER BY rank LIMIT ${POOL}
        ),
        ${fused}
        SELECT t.id, t.conversation_id, c.title, t.content, t.created_at,
               fused.similarity::float8 AS similarity, fused.score::float8 AS score
        FROM fused
        CROSS JOIN LATERAL (
          SELECT t.id, t.conversation_id, t.content, t.created_at FROM conversation_turns t
          WHERE t.id = fused.id AND t.user_id = ${userId} LIMIT 1
        ) t
        CROSS JOIN LATERAL (SELECT c.title FROM conversations c WHERE c.id = t.conversation_id AND c.user_id = ${userId} LIMIT 1) c
        ORDER BY fused.score DESC, t.id DESC
        LIMIT ${options.k}`;
}

interface Way {
  name: string;
  statement: (q: EpisodeQuery) => SQL;
}

function ways(reranks: number[], windows: number[]): Way[] {
  const options = defaultEpisodeOptions;
  const w = options.window;
  const plain = (name: string, nearest: (q: EpisodeQuery) => SQL): Way => ({ name, statement: (q) => episodeStatement(q, options, nearest(q)) });
  const probed = (name: string, nearest: (q: EpisodeQuery) => SQL): Way => ({ name: `${name}, fixed SQL`, statement: (q) => episodeStatement(q, options, nearest(q), { fixed: true }) });
  return [
    plain(`exact, window ${w} (lib)`, (q) => exactNearest(q, w)),
    ...windows.map((size) => plain(`exact, window ${size} (lib SQL)`, (q) => exactNearest(q, size))),
    plain('words only (lib SQL, window 0)', (q) => exactNearest(q, 0)),
    probed('words only', (q) => exactNearest(q, 0)),
    probed(`exact, window ${w}`, (q) => exactNearest(q, w)),
    probed(`exact, window ${w}, ids from covering index`, (q) => probedWindowNearest(q, w)),
    probed(`exact ${NARROW}-d copy in covering index, window ${w}`, (q) => narrowNearest(q, w)),
    probed(`exact ${NARROW}-d copy in covering index, all episodes`, (q) => narrowNearest(q)),
    ...reranks.map((rerank) => probed(`binary R=${rerank}, all episodes`, (q) => binaryNearest(q, { copy: 'bits', rerank }))),
    probed(`ternary R=${reranks.at(-1)}, all episodes`, (q) => binaryNearest(q, { copy: 'signs', rerank: reranks.at(-1)! })),
  ];
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

/** Every way once per input, in an order that rotates, after one untimed round per user. */
async function timeWays(
  store: Store,
  all: Way[],
  warmup: Iteration[],
  timed: Iteration[],
  run = (way: Way, it: Iteration) => store.asUser(it.user.id, (tx) => selectRows<{ id: string }>(tx, way.statement(queryOf(it)))),
) {
  for (const it of warmup) for (const way of all) await run(way, it);
  const samples = all.map(() => [] as number[]);
  const found = all.map(() => 0);
  for (const [i, it] of timed.entries()) {
    for (let j = 0; j < all.length; j++) {
      const w = (i + j) % all.length;
      const started = performance.now();
      const rows = await run(all[w]!, it);
      samples[w]!.push(performance.now() - started);
      found[w]! += rows.length;
    }
  }
  return Object.fromEntries(all.map((way, w) => [way.name, { ...summarize(samples[w]!), meanFound: round(found[w]! / timed.length, 1) }]));
}

/**
 * Retrieval as prepareTurn runs it, facts then episodes in one unit of work, for each way, and
 * facts alone, interleaved: the difference is what the way adds to retrieval.
 */
async function timeAddedToRetrieval(store: Store, all: Way[], warmup: Iteration[], timed: Iteration[]) {
  const factsOnly: Way = { name: 'facts only', statement: () => sql`SELECT 1 AS id WHERE false` };
  const run = (way: Way, it: Iteration) =>
    store.asUser(it.user.id, async (tx) => {
      await retrieveFacts(tx, { userId: it.user.id, model: BENCH_MODEL, vector: it.vector, text: it.message }, defaultRetrieveOptions);
      return way === factsOnly ? [] : selectRows<{ id: string }>(tx, way.statement(queryOf(it)));
    });
  const results = await timeWays(store, [factsOnly, ...all], warmup, timed, run);
  const base = results[factsOnly.name]!;
  const added = Object.fromEntries(all.map((w) => [w.name, { p50: round(results[w.name]!.p50 - base.p50, 2), p95: round(results[w.name]!.p95 - base.p95, 2) }]));
  return { results, added };
}

/** The exact ways rebuilt here against the product's own function: they must answer the same. */
async function checkSameAsLib(store: Store, all: Way[], its: Iteration[]) {
  const exact = all.filter((w) => w.name.startsWith(`exact, window ${defaultEpisodeOptions.window}`));
  for (const it of its.slice(0, 20)) {
    const q = queryOf(it);
    await store.asUser(q.userId, async (tx) => {
      const lib = (await retrieveEpisodes(tx, q, defaultEpisodeOptions)).map((r) => r.turnId).join(',');
      for (const way of exact) {
        const mine = (await selectRows<{ id: string | number }>(tx, way.statement(q))).map((r) => Number(r.id)).join(',');
        if (mine !== lib) throw new Error(`"${way.name}" answers ${mine}, retrieveEpisodes ${lib}: bring episode-experiments.ts up to lib/memory/episodes.ts`);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Recall on real vectors.

interface RecallSet {
  userId: string;
  model: string;
  episodes: number;
  queries: { text: string; vector: number[] }[];
  /** A conversation of nobody's: nothing is excluded. */
  excludeConversationId: string;
  seconds: number;
}

/** One user whose episodes are LoCoMo's turns and observations, embedded; its questions as queries. */
async function loadRecallSet(owner: Database, dir: string, { copies = true } = {}): Promise<RecallSet | undefined> {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f));
  if (!files.length) return undefined;
  const started = performance.now();
  const conversations = files.flatMap((file) => loadConversations(file));
  const embedder = createOfflineEmbedder(DEFAULT_OFFLINE_EMBEDDER);
  if (copies) await owner.execute(sql`DELETE FROM bench_episode_bits WHERE user_id = ${RECALL_USER}`);
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
      const stored = batch.map((_, i) => JSON.stringify(toStoredVector(vectors[at + i]!, embedder.model)));
      await owner.execute(sql`
        INSERT INTO episode_embeddings (turn_id, user_id, conversation_id, model, embedding)
        SELECT x.turn_id, ${RECALL_USER}, ${c!.id}, ${embedder.model}, x.embedding::halfvec
        FROM unnest(${`{${turns.map((t) => t.id).join(',')}}`}::bigint[], ${toTextArray(stored)}::text[]) AS x(turn_id, embedding)`);
      episodes += batch.length;
    }
  }
  if (copies) await prepareBits(owner, [RECALL_USER]);
  const questions = conversations.flatMap((c) => c.questions.map((q) => q.question));
  const vectors = await embedder.embed(questions);
  return {
    userId: RECALL_USER,
    model: embedder.model,
    episodes,
    queries: questions.map((text, i) => ({ text, vector: vectors[i]! })),
    excludeConversationId: '00000000-0000-4000-8000-000000000000',
    seconds: seconds(started),
  };
}

/** A text[] literal of any strings, as one parameter. */
function toTextArray(items: string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

interface RecallResult {
  method: string;
  reference: string;
  recallAt8: number;
  recallAt30: number;
  /**
   * Over the exact top 8 that clear the similarity floor (the rest never reach the prompt), for
   * the queries that have any; `queriesAboveFloor` says how many.
   */
  recallAt8AboveFloor: number;
  queriesAboveFloor: number;
}

async function measureRecall(store: Store, set: RecallSet, reranks: number[], windows: number[], { copies = true } = {}): Promise<RecallResult[]> {
  const nearest = (tx: Database, statement: SQL) =>
    selectRows<{ turn_id: string; distance: number }>(tx, statement).then((rows) => rows.map((r) => ({ id: r.turn_id, similarity: 1 - Number(r.distance) })));
  const floor = defaultEpisodeOptions.minSimilarity;
  const ALL = 1_000_000;
  const window = defaultEpisodeOptions.window;
  const methods: { method: string; reference: string; nearest: (q: EpisodeQuery) => SQL; exact: (q: EpisodeQuery) => SQL }[] = [];
  for (const rerank of reranks) {
    methods.push({ method: `product: sign bits R=${rerank}, window ${window}`, reference: `exact, window ${window}`, nearest: (q) => productNearest(q, rerank, window), exact: (q) => exactNearest(q, window) });
  }
  for (const scope of copies ? [ALL, window] : []) {
    const where = scope === ALL ? 'all episodes' : `window ${scope}`;
    const exact = (q: EpisodeQuery) => exactNearest(q, scope);
    for (const rerank of reranks) {
      for (const copy of ['bits', 'signs'] as const) {
        const name = copy === 'bits' ? 'binary' : 'ternary';
        methods.push({ method: `${name} R=${rerank}, ${where}`, reference: `exact, ${where}`, nearest: (q) => binaryNearest(q, { copy, rerank, window: scope === ALL ? undefined : scope }), exact });
      }
    }
  }
  // The narrow copy is exact whenever it is at least the embedder's width (a check, expected 1).
  if (copies) methods.push({ method: `exact ${NARROW}-d copy, all episodes`, reference: 'exact, all episodes', nearest: (q) => narrowNearest(q), exact: (q) => exactNearest(q, ALL) });
  // What a smaller window loses against the default one (not an approximation: another scope).
  for (const w of windows) methods.push({ method: `exact, window ${w}`, reference: `exact, window ${window}`, nearest: (q) => exactNearest(q, w), exact: (q) => exactNearest(q, window) });

  const totals = methods.map(() => ({ at8: 0, at30: 0, floor8: 0, floorQueries: 0 }));
  await store.asUser(set.userId, async (tx) => {
    for (const query of set.queries) {
      const q: EpisodeQuery = { userId: set.userId, model: set.model, vector: query.vector, text: query.text, excludeConversationId: set.excludeConversationId };
      const references = new Map<string, { id: string; similarity: number }[]>();
      for (const [m, method] of methods.entries()) {
        let reference = references.get(method.reference);
        if (!reference) references.set(method.reference, (reference = await nearest(tx, method.exact(q))));
        const found = (await nearest(tx, method.nearest(q))).map((r) => r.id);
        const share = (expected: string[], k: number) => found.slice(0, k).filter((id) => expected.includes(id)).length / (expected.length || 1);
        totals[m]!.at8 += share(reference.slice(0, 8).map((r) => r.id), 8);
        totals[m]!.at30 += share(reference.slice(0, POOL).map((r) => r.id), POOL);
        const aboveFloor = reference.slice(0, 8).filter((r) => r.similarity >= floor).map((r) => r.id);
        if (aboveFloor.length) {
          totals[m]!.floor8 += share(aboveFloor, 8);
          totals[m]!.floorQueries += 1;
        }
      }
    }
  });
  return methods.map((m, i) => ({
    method: m.method,
    reference: m.reference,
    recallAt8: round(totals[i]!.at8 / set.queries.length),
    recallAt30: round(totals[i]!.at30 / set.queries.length),
    recallAt8AboveFloor: round(totals[i]!.floor8 / (totals[i]!.floorQueries || 1)),
    queriesAboveFloor: totals[i]!.floorQueries,
  }));
}

// ---------------------------------------------------------------------------------------------

function printLatency(title: string, results: Record<string, LatencySummary & { meanFound: number }>) {
  console.log(`\n${title}\n`);
  console.log('| way | n | p50 ms | p95 ms | p99 ms | mean ms | found |');
  console.log('|---|--:|--:|--:|--:|--:|--:|');
  for (const [name, s] of Object.entries(results)) console.log(`| ${[name, s.n, s.p50, s.p95, s.p99, s.mean, s.meanFound].join(' | ')} |`);
}

/** Recall against exact search on LoCoMo's dev conversations, printed; without `copies`, the product's search only. */
async function recallReport(db: { owner: Database; app: Store }, windows: number[], { copies = true } = {}) {
  const set = await loadRecallSet(db.owner, values.locomo!, { copies });
  if (!set) {
    console.log(`\nrecall: no LoCoMo files in ${values.locomo}; skipped (real embedder vectors are needed, not the bench's random ones)`);
    return {};
  }
  console.log(`\nrecall on real vectors: ${set.episodes} LoCoMo turns and observations of one user, ${set.queries.length} questions, embedder ${set.model} (${set.seconds} s)`);
  const recall = await measureRecall(db.app, set, list(values['recall-rerank']!, '--recall-rerank'), windows, { copies });
  console.log(`\n| method | against | recall@8 | recall@30 | recall@8 of the exact top 8 above ${defaultEpisodeOptions.minSimilarity} (queries) |\n|---|---|--:|--:|--:|`);
  for (const r of recall) console.log(`| ${r.method} | ${r.reference} | ${r.recallAt8} | ${r.recallAt30} | ${r.recallAt8AboveFloor} (${r.queriesAboveFloor}) |`);
  return { recall, recallSet: { ...set, queries: set.queries.length } };
}

async function main() {
  const serverUrl = cli.requireEnv('DATABASE_URL', 'it runs on the server bench:memory seeded');
  const database = values.database!;
  if (!(await databaseExists(serverUrl, database))) throw new Error(`no database ${database}: run bench:memory on this server first`);
  const reranks = list(values.rerank!, '--rerank');
  const windows = list(values.windows!, '--windows');
  const queries = positive(values.queries!, '--queries');
  const db = await openBenchPostgres(serverUrl, database, { keep: true });
  try {
    const settings = await serverSettings(db.app);
    console.log(`PostgreSQL settings: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    const [scale] = await selectRows<{ users: number; episodes: number }>(
      db.owner,
      sql`SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM episode_embeddings WHERE model = ${BENCH_MODEL})::int AS episodes`,
    );
    console.log(`${database}: ${scale!.users} users, ${scale!.episodes} bench episodes`);
    if (values['recall-only']) {
      const report = { date: new Date().toISOString(), database, settings, ...(await recallReport(db, windows, { copies: false })) };
      if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
      return;
    }

    let at = performance.now();
    // The width bench:memory seeded (its --dimensions): the sampled users' new episodes get the same.
    const [seeded] = await selectRows<{ width: number }>(
      db.owner,
      sql`SELECT vector_dims(embedding) AS width FROM episode_embeddings WHERE model = ${BENCH_MODEL} LIMIT 1`,
    );
    const users = await sampleUsers(db.owner, positive(values.users!, '--users'), seeded!.width, { model: BENCH_MODEL, count: 20, window: defaultEpisodeOptions.window });
    console.log(`sampled ${users.length} users (${seconds(at)} s)`);
    await dropLexIndex(db.owner);
    at = performance.now();
    const setup = await prepareBits(db.owner, users.map((u) => u.id));
    console.log(`binary copy: ${JSON.stringify(setup)} (${seconds(at)} s)`);

    const iterations = makeIterations(users, users.length + queries);
    const [warmup, timed] = [iterations.slice(0, users.length), iterations.slice(users.length)];
    const all = ways(reranks, windows);
    await checkSameAsLib(db.app, all, timed);
    at = performance.now();
    const latency = await timeWays(db.app, all, warmup, timed);
    printLatency(`Episode search, ${timed.length} runs per way over ${users.length} users (${seconds(at)} s), GIN on content_search only`, latency);

    const plans: Record<string, string[]> = {};
    const [it] = timed;
    const explainAll = async (list: Way[], suffix = '') => {
      for (const way of list) plans[`${way.name}${suffix}`] = await explainStatement(db.app, it!.user.id, way.statement(queryOf(it!)));
    };
    await explainAll(all);

    const lexIndexSeconds = await createLexIndex(db.owner);
    const binary = `binary R=${reranks[1] ?? reranks[0]}, all episodes, fixed SQL`;
    const lexWays = all.filter((w) => w === all[0] || w.name === binary || /^(words only, fixed|exact, window \d+, fixed|exact \d+-d copy in covering index)/.test(w.name));
    at = performance.now();
    const latencyLex = await timeWays(db.app, lexWays, warmup, timed);
    printLatency(`The same with the words of the user's turns in a covering B-tree too (${LEX_INDEX}: built and vacuumed in ${lexIndexSeconds} s; ${seconds(at)} s)`, latencyLex);
    await explainAll(lexWays, ', words cover');
    at = performance.now();
    const added = await timeAddedToRetrieval(db.app, lexWays, warmup, timed);
    printLatency(`Retrieval (facts, hybrid) with each way in the same unit of work, against facts alone, interleaved (${seconds(at)} s)`, added.results);
    console.log('\nwhat each way adds to retrieval, ms (p50, p95):');
    for (const [name, d] of Object.entries(added.added)) console.log(`  ${name}: p50 +${d.p50}, p95 +${d.p95}`);
    const sizes = await sizesMb(db.owner);
    await dropLexIndex(db.owner);
    console.log('');
    for (const [name, lines] of Object.entries(plans)) {
      const time = lines.find((l) => l.startsWith('Execution Time'));
      const buffers = lines.find((l) => l.trim().startsWith('Buffers'));
      console.log(`plan, ${name}: ${time}; top ${buffers?.trim()}`);
    }

    console.log(`\nsizes, MB: ${JSON.stringify(sizes)}`);
    const { recall, recallSet } = await recallReport(db, windows);
    for (const [name, lines] of Object.entries(plans)) console.log(`\nEXPLAIN (ANALYZE, BUFFERS), ${name}:\n${lines.join('\n')}`);
    const loadAverage = loadavg().map((x) => round(x, 2));
    console.log(`\nload average at the end: ${loadAverage.join(' ')} (${cpus().length} cores)`);
    const report = { date: new Date().toISOString(), database, settings, loadAverage, scale, setupSeconds: setup, lexIndexSeconds, sizesMb: sizes, latency, latencyWithWordsCover: latencyLex, addedToRetrieval: added, recallSet, recall, plans };
    if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await db.close();
  }
}

await main();
