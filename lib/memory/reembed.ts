/**
 * Re-embedding after an embedding-model change: searches compare only vectors of the configured
 * model and width, so facts and episodes embedded by another one are invisible to search by
 * meaning until they get a vector of the new one. Batched (one embed call and one short unit of
 * work per batch, no connection held while the model runs) and resumable: each batch commits on
 * its own and a run only looks for what still lacks a current vector, so a killed run picks up
 * where it stopped. Runs as the system (every user's rows): an operator's job, like the nightly one.
 */
import { sql } from 'drizzle-orm';
import type { Embedder } from '../ai/types';
import type { Database } from '../db/client';
import { selectRows } from '../db/rows';
import type { Store } from '../db/store';
import { pruneEpisodeVectors, storeEpisodeVectors } from './episode-store';
import { pruneFactVectors, storeFactVectors } from './fact-store';

export interface ReembedOptions {
  /** Texts per embed call and per unit of work. */
  batchSize: number;
  /** Afterwards, delete the vectors of every other model (and stale widths of this one). */
  prune: boolean;
  onBatch?: (progress: { kind: 'facts' | 'episodes'; done: number }) => void;
}

export interface ReembedSummary {
  model: string;
  facts: number;
  episodes: number;
  pruned: { facts: number; episodes: number };
}

type Pending = {
  /** Fact id or turn id (as text: bigint ids stay exact). */
  id: string;
  text: string;
};

/** Rows that lack a vector of the model at its width, after `after` in key order, with the text to embed. */
const pendingFacts = (tx: Database, model: string, width: number, after: string | null, limit: number) =>
  selectRows<Pending>(
    tx,
    sql`SELECT f.id::text AS id, f.fact_text AS text FROM user_facts f
        WHERE f.superseded_at IS NULL ${after === null ? sql`` : sql`AND f.id > ${after}::uuid`}
          AND NOT EXISTS (SELECT 1 FROM fact_embeddings e
                          WHERE e.fact_id = f.id AND e.model = ${model} AND vector_dims(e.embedding) = ${width})
        ORDER BY f.id LIMIT ${limit}`,
  );

// An episode exists only for a turn that was learned and may be remembered (episodes.ts): the
// turns to re-embed are those that have an episode of some model, not every user turn.
const pendingEpisodes = (tx: Database, model: string, width: number, after: string | null, limit: number) =>
  selectRows<Pending>(
    tx,
    sql`SELECT t.id::text AS id, t.content AS text FROM conversation_turns t
        WHERE t.id IN (SELECT e.turn_id FROM episode_embeddings e ${after === null ? sql`` : sql`WHERE e.turn_id > ${after}::bigint`})
          AND NOT EXISTS (SELECT 1 FROM episode_embeddings e
                          WHERE e.turn_id = t.id AND e.model = ${model} AND vector_dims(e.embedding) = ${width})
        ORDER BY t.id LIMIT ${limit}`,
  );

/** Each kind: what still lacks a vector of the model, and its store's writes. */
const KINDS = {
  facts: { pending: pendingFacts, store: storeFactVectors, prune: pruneFactVectors },
  episodes: { pending: pendingEpisodes, store: storeEpisodeVectors, prune: pruneEpisodeVectors },
} as const;

export async function reembedMemory(store: Store, embedder: Embedder, options: ReembedOptions): Promise<ReembedSummary> {
  const { model, dimensions: width } = embedder;
  const summary: ReembedSummary = { model, facts: 0, episodes: 0, pruned: { facts: 0, episodes: 0 } };
  for (const kind of ['facts', 'episodes'] as const) {
    const { pending, store: storeVectors } = KINDS[kind];
    // Key order with a cursor: each batch starts after the last, so the run is one pass.
    let after: string | null = null;
    for (;;) {
      const cursor = after;
      const rows: Pending[] = await store.asSystem((tx) => pending(tx, model, width, cursor, options.batchSize));
      if (!rows.length) break;
      const vectors = await embedder.embed(rows.map((r) => r.text));
      const wrong = vectors.find((vector) => vector.length !== width);
      if (wrong) throw new Error(`The embedding model ${model} returned ${wrong.length} dimensions; it states ${width}.`);
      await store.asSystem((tx) => storeVectors(tx, model, rows.map((r) => r.id), vectors));
      summary[kind] += rows.length;
      after = rows.at(-1)!.id;
      options.onBatch?.({ kind, done: summary[kind] });
    }
  }
  if (options.prune) {
    for (const kind of ['facts', 'episodes'] as const) {
      summary.pruned[kind] = await store.asSystem((tx) => KINDS[kind].prune(tx, model, width));
    }
  }
  return summary;
}
