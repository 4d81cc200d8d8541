/**
 * The retriever: a user's current facts most relevant to a message. Exact nearest-neighbour
 * search inside the user's own rows (a user's memory is small), optionally fused with full-text
 * ranking by reciprocal rank fusion, so names, places and rare words are found even when the
 * embedding misses them.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';
import { selectPreparedRows } from '../db/rows';
import type { FactType } from '../db/schema';
import { questionWords } from './question-words';
import { sameEmbedding, vectorParam } from './stored-vector';

export type Ranking = 'vector' | 'hybrid';

export interface RetrieveOptions {
  k: number;
  /** Vector matches below this cosine similarity are left out (lexical matches are not)... */
  minSimilarity: number;
  /** ...except this many of the nearest (default none; see NEAREST_KEPT_FOR_PROMPT). */
  keepNearest?: number;
  ranking: Ranking;
}

/**
 * How many of the nearest a prompt keeps whatever their similarity: related question/fact pairs
 * often score at the level of unrelated ones ("Can you suggest a snack?" / "Is allergic to
 * peanuts") yet rank first among a user's memories, so for the prompt the floor trims the tail
 * and never empties the head. Measured (recall-at-scale test; LoCoMo pipeline recall@5 / @8):
 * none kept 6 of 10, 0.511 / 0.535; the nearest fact and 3 excerpts 8 of 10, 0.488 / 0.532; 3 facts
 * and 3 excerpts 8 of 10, 0.397 / 0.529 (low-similarity facts lead the prompt, ahead of excerpts).
 * A search box keeps none: there an unrelated result is noise.
 */
export const NEAREST_KEPT_FOR_PROMPT = { facts: 1, excerpts: 3 } as const;

/** The floor of an embedder with no calibration of its own: low, since a floor set too high hides what matters. */
export const defaultRetrieveOptions: RetrieveOptions = { k: 8, minSimilarity: 0.3, ranking: 'hybrid' };

export interface RetrieveQuery {
  userId: string;
  /** Embedding model of `vector`; only facts embedded by the same model are compared. */
  model: string;
  vector: number[];
  /** The message itself, for the lexical side of hybrid ranking. */
  text: string;
}

export interface RetrievedFact {
  id: string;
  factType: FactType;
  factText: string;
  confidence: number;
  createdAt: Date;
  sourceConversationId: string | null;
  sourceTurnId: number | null;
  /** Cosine similarity to the message; null when the fact was outside the vector candidates. */
  similarity: number | null;
  score: number;
}

/**
 * Candidates taken from each ranking before fusion, and never fewer than asked for (a search box
 * asks for 50): chosen on one LoCoMo conversation, checked on two others (README).
 */
const POOL = 30;
/** A fact this long or shorter has its words, type and text in the covering index of migration 0024. */
const SHORT_FACT_BYTES = 500;

/**
 * `columns` of the user's current facts (alias f) that meet `condition`: the short ones from the
 * covering index of migration 0024, the few long ones through their own small index. Each side
 * names its index's predicate so the planner can use it. Read by this search's words and by the
 * writer's duplicate check (dedup.ts).
 */
export function currentFactsByLength(userId: string, columns: SQL, condition?: SQL): SQL {
  const side = (length: SQL) => sql`
          SELECT ${columns} FROM user_facts f
          WHERE f.user_id = ${userId} AND f.superseded_at IS NULL
            AND octet_length(f.fact_text) ${length} ${sql.raw(String(SHORT_FACT_BYTES))}${condition ? sql` AND ${condition}` : sql``}`;
  return sql`${side(sql`<=`)} UNION ALL ${side(sql`>`)}`;
}

/** The usual constant of reciprocal rank fusion (Cormack et al. 2009). */
const RRF_K = 60;

export async function retrieveFacts(
  db: Database,
  query: RetrieveQuery,
  options: RetrieveOptions = defaultRetrieveOptions,
): Promise<RetrievedFact[]> {
  const vector = vectorParam(query.vector, query.model);
  const hybrid = options.ranking === 'hybrid';
  const pool = Math.max(POOL, options.k);
  // The words of short facts are read from a covering index (currentFactsByLength). Ranked by
  // ts_rank: ts_rank_cd's cover search cost about half of this side's time, and ts_rank ranks as
  // well on LoCoMo's dev split, better on the conversations it was not chosen on (README). Past
  // chats are ranked the same way (episodes.ts).
  const words = questionWords(query.text);
  const matchingWords = currentFactsByLength(query.userId, sql`f.id, ts_rank(f.fact_search, ${words}) AS words_rank`, sql`f.fact_search @@ ${words}`);
  const lexical = hybrid
    ? sql`SELECT m.id, row_number() OVER (ORDER BY m.words_rank DESC, m.id) AS rank
          FROM (${matchingWords}) m
          ORDER BY rank LIMIT ${pool}`
    : sql`SELECT NULL::uuid AS id, NULL::bigint AS rank WHERE false`;

  // Prepared (rows.ts): its generic plan is its custom one, and planning was a quarter of its time.
  const rows = await selectPreparedRows<FactRow & { similarity: number | null; score: number }>(
    db,
    'retrieve_facts',
    // Only current facts have embeddings (the writer removes a superseded fact's), so the
    // vector side reads one table, and each distance is computed once.
    sql`WITH vec AS (
          SELECT id, 1 - distance AS similarity, row_number() OVER (ORDER BY distance, id) AS rank
          FROM (
            SELECT e.fact_id AS id, e.embedding <=> ${vector}::halfvec AS distance
            FROM fact_embeddings e
            WHERE e.user_id = ${query.userId} AND ${sameEmbedding('e', query.model, query.vector)}
            ORDER BY distance LIMIT ${pool}
          ) nearest
        ),
        lex AS (${lexical}),
        -- MATERIALIZED: under row-level security the planner underestimates the fused rows and
        -- would join them to user_facts by scanning the whole table; materialized, it looks each up by key.
        fused AS MATERIALIZED (
          SELECT COALESCE(vec.id, lex.id) AS id, vec.similarity,
                 COALESCE(1.0 / (${RRF_K} + vec.rank), 0) + COALESCE(1.0 / (${RRF_K} + lex.rank), 0) AS score
          FROM vec FULL JOIN lex ON lex.id = vec.id
          WHERE vec.rank <= ${options.keepNearest ?? 0} OR vec.similarity >= ${options.minSimilarity} OR lex.id IS NOT NULL
        )
        SELECT f.id, f.fact_type, f.fact_text, f.confidence, f.created_at, f.source_conversation_id, f.source_turn_id,
               fused.similarity::float8 AS similarity, fused.score::float8 AS score
        FROM fused JOIN user_facts f ON f.id = fused.id AND f.user_id = ${query.userId}
        ORDER BY fused.score DESC, f.id
        LIMIT ${options.k}`,
  );
  return rows.map(toRetrievedFact);
}

interface FactRow extends Record<string, unknown> {
  id: string;
  fact_type: FactType;
  fact_text: string;
  confidence: number;
  created_at: string | Date;
  source_conversation_id: string | null;
  source_turn_id: string | number | null;
}

function toRetrievedFact(r: FactRow & { similarity: number | null; score: number }): RetrievedFact {
  return {
    id: r.id,
    factType: r.fact_type,
    factText: r.fact_text,
    confidence: r.confidence,
    createdAt: new Date(r.created_at),
    sourceConversationId: r.source_conversation_id,
    // bigint: node-postgres answers a string, PGlite a number.
    sourceTurnId: r.source_turn_id === null ? null : Number(r.source_turn_id),
    similarity: r.similarity === null ? null : Number(r.similarity),
    score: Number(r.score),
  };
}

/**
 * What the prompt carries whatever the message: `always`, the user's constraints (an allergy
 * matters to a snack suggestion that never says "peanut") and their current single-valued
 * attributes (name, home, employer, job, partner: who they are matters to most answers); and,
 * when the user has at most `limit` current facts, all of them, so a small memory is given whole
 * (newest first). The count stops one past `limit` (whether the whole memory fits is all it
 * tells), so a large memory costs `limit` index entries and those few facts, not a scan: a fact's
 * page changes with each use, so an index-only count still visits most of them.
 */
export async function loadStandingFacts(db: Database, userId: string, limit: number): Promise<{ facts: RetrievedFact[]; always: Set<string>; complete: boolean }> {
  const current = sql`f.user_id = ${userId} AND f.superseded_at IS NULL`;
  const columns = sql`f.id, f.fact_type, f.fact_text, f.confidence, f.created_at, f.source_conversation_id, f.source_turn_id`;
  // Prepared, as retrieveFacts: measured the same way (p50 2.27 → 1.64 ms as the app role).
  const rows = await selectPreparedRows<FactRow & { total: number; always: boolean }>(
    db,
    'load_standing_facts',
    sql`WITH counted AS (SELECT count(*)::int AS total FROM (SELECT 1 FROM user_facts f WHERE ${current} LIMIT ${limit + 1}) f)
        SELECT * FROM (
          SELECT ${columns}, true AS always FROM user_facts f WHERE ${current} AND f.fact_type = 'constraint'
          UNION ALL
          SELECT ${columns}, true FROM user_facts f WHERE ${current} AND f.fact_type <> 'constraint' AND f.attribute IS NOT NULL
          UNION ALL
          SELECT ${columns}, false FROM user_facts f WHERE ${current} AND f.fact_type <> 'constraint' AND f.attribute IS NULL
            AND (SELECT total FROM counted) <= ${limit}
        ) standing, counted
        ORDER BY always DESC, (fact_type = 'constraint') DESC, created_at DESC, id
        LIMIT ${limit}`,
  );
  const total = rows[0]?.total ?? 0;
  return {
    facts: rows.map((r) => toRetrievedFact({ ...r, similarity: null, score: 0 })),
    always: new Set(rows.filter((r) => r.always).map((r) => r.id)),
    complete: total <= limit,
  };
}
