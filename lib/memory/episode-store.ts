/**
 * Writes to episode_embeddings and episode_words go through here: a learned turn kept as an
 * episode (its vector and its words), forgotten, or given a vector of a new model. Each function
 * runs inside the caller's unit of work. An episode has words while it has a vector of some model.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';
import { selectRows, type StatementRider } from '../db/rows';
import { vectorArray, vectorParam } from './stored-vector';

type TurnToLearn = { userId: string; turnId: number; episode?: { conversationId: string; model: string; vector: number[] } };

/**
 * Marks one of the user's turns learned (the extraction outbox: extract-turn.ts) and, given its
 * vector, keeps it as an episode with its words, in one statement: the episode is stored only when
 * the turn was still unlearned. Answers whether it was (false: learned meanwhile, or forgotten).
 */
export async function markTurnLearned(tx: Database, turn: TurnToLearn): Promise<boolean> {
  const { ctes, took } = turnLearning(turn);
  const [row] = await selectRows<{ took: boolean }>(tx, sql`WITH ${ctes} SELECT ${took} AS took`);
  return row!.took;
}

/** markTurnLearned as a rider, for a statement of the writer's that goes out anyway. */
export function turnLearning({ userId, turnId, episode }: TurnToLearn): StatementRider {
  const keep = episode
    ? sql`, kept AS (
          INSERT INTO episode_embeddings (turn_id, user_id, conversation_id, model, embedding)
          SELECT id, ${userId}, ${episode.conversationId}, ${episode.model}, ${vectorParam(episode.vector, episode.model)}::halfvec FROM marked
          ON CONFLICT DO NOTHING
        ),
        worded AS (
          INSERT INTO episode_words (user_id, word, turn_id)
          SELECT ${userId}, w.word, marked.id FROM marked CROSS JOIN LATERAL unnest(tsvector_to_array(marked.content_search)) AS w (word)
          ON CONFLICT DO NOTHING
        )`
    : sql``;
  return {
    ctes: sql`marked AS (
          UPDATE conversation_turns SET extracted_at = now(), extraction_error = NULL
          WHERE id = ${turnId} AND user_id = ${userId} AND extracted_at IS NULL
          RETURNING id, content_search
        )${keep}`,
    took: sql`EXISTS (SELECT FROM marked)`,
  };
}

/** Forgets one of the user's turns as an episode, its words with it; returns how many vectors went. */
export function deleteEpisode(tx: Database, userId: string, turnId: number): Promise<number> {
  return forgetEpisodes(tx, userId, sql`AND turn_id = ${turnId}`);
}

/** Forgets every episode of the user (their conversations stay); returns how many vectors went. */
export function deleteAllEpisodes(tx: Database, userId: string): Promise<number> {
  return forgetEpisodes(tx, userId, sql``);
}

async function forgetEpisodes(tx: Database, userId: string, which: SQL): Promise<number> {
  const [row] = await selectRows<{ n: number }>(
    tx,
    sql`WITH words AS (DELETE FROM episode_words WHERE user_id = ${userId} ${which}),
        gone AS (DELETE FROM episode_embeddings WHERE user_id = ${userId} ${which} RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
  );
  return row!.n;
}

/**
 * Gives episodes a vector of `model` (replacing one of the same model), `vectors[i]` for
 * `turnIds[i]`; only turns kept as an episode get one.
 */
export function storeEpisodeVectors(tx: Database, model: string, turnIds: string[], vectors: number[][]) {
  return tx.execute(sql`
    INSERT INTO episode_embeddings (turn_id, user_id, conversation_id, model, embedding)
    SELECT t.id, t.user_id, t.conversation_id, ${model}, v.embedding
    FROM unnest(${sql.param(turnIds)}::bigint[], ${vectorArray(vectors, model)}) AS v (id, embedding)
    JOIN conversation_turns t ON t.id = v.id
    WHERE EXISTS (SELECT 1 FROM episode_embeddings e WHERE e.turn_id = t.id)
    ON CONFLICT (turn_id, model) DO UPDATE SET embedding = EXCLUDED.embedding`);
}

/**
 * Deletes every episode vector not of `model` at `width`, across users, and the words of an
 * episode left with none; returns how many vectors went.
 */
export async function pruneEpisodeVectors(tx: Database, model: string, width: number): Promise<number> {
  const [row] = await selectRows<{ n: number }>(
    tx,
    sql`WITH gone AS (DELETE FROM episode_embeddings WHERE model <> ${model} OR vector_dims(embedding) <> ${width} RETURNING turn_id),
        unworded AS (
          DELETE FROM episode_words w USING gone
          WHERE w.turn_id = gone.turn_id
            AND NOT EXISTS (SELECT 1 FROM episode_embeddings e WHERE e.turn_id = gone.turn_id AND e.model = ${model} AND vector_dims(e.embedding) = ${width})
        )
        SELECT count(*)::int AS n FROM gone`,
  );
  return row!.n;
}
