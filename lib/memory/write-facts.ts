/**
 * The writer: after a turn, each extracted fact is checked against the user's current facts and
 * is either dropped (low confidence), folded into a near-duplicate (which it refreshes), stored
 * as the successor of the facts it contradicts (which stay as history), or added. A new value of
 * a single-valued attribute (attributes.ts) supersedes the old value whatever the extractor said
 * and whatever the embeddings say. New facts are stored with their embedding, and the source
 * turn with its episode (episodes.ts), in one transaction, which also marks the turn extracted:
 * a crash leaves either all or none, so a retried turn never loses or doubles its memories.
 */
import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { selectRows } from '../db/rows';
import type { Store } from '../db/store';
import { conversationTurns, factEmbeddings, userFacts, type FactType, type UserFact } from '../db/schema';
import type { Embedder } from '../ai/types';
import { attributeOf, sameValue, type Attribute } from './attributes';
import { storeEpisode } from './episodes';
import { sameEmbedding, toStoredVector } from './stored-vector';

/** The source turn was learned or forgotten while this extraction ran; its writes were rolled back. */
export class TurnAlreadyLearned extends Error {
  constructor(readonly turnId: number) {
    super(`turn ${turnId} was already learned or forgotten`);
    this.name = 'TurnAlreadyLearned';
  }
}

export interface CandidateFact {
  factType: FactType;
  factText: string;
  confidence: number;
  /** Ids of the user's facts this one updates or contradicts. */
  supersedes: string[];
}

export interface WriteFactsOptions {
  /** Facts below this confidence are not stored. */
  minConfidence: number;
  /** pg_trgm similarity above which a fact of the same type is the same fact. */
  duplicateTrigram: number;
  /** Embedding cosine similarity above which a fact is the same fact, whatever its type. */
  duplicateCosine: number;
}

export const defaultWriteFactsOptions: WriteFactsOptions = {
  minConfidence: 0.6,
  duplicateTrigram: 0.85,
  duplicateCosine: 0.92,
};

export type FactOutcome =
  | { action: 'dropped'; candidate: CandidateFact; reason: 'low_confidence' }
  | { action: 'refreshed'; candidate: CandidateFact; fact: UserFact; superseded: string[] }
  | { action: 'added'; candidate: CandidateFact; fact: UserFact; superseded: string[] };

export interface WriteFactsInput {
  userId: string;
  sourceConversationId?: string | null;
  sourceTurnId?: number | null;
  candidates: CandidateFact[];
  /** The source turn's own vector, kept as its episode in the same transaction as its facts. */
  episode?: { conversationId: string; vector: number[] };
}

export async function writeFacts(
  store: Store,
  embedder: Embedder,
  input: WriteFactsInput,
  options: WriteFactsOptions = defaultWriteFactsOptions,
): Promise<FactOutcome[]> {
  const kept = input.candidates.filter((c) => c.confidence >= options.minConfidence);
  // The vendor call happens before the unit of work, so no connection is held while waiting on it.
  const vectors = kept.length ? await embedder.embed(kept.map((c) => c.factText)) : [];

  const stored = await store.asUser(input.userId, async (tx) => {
    const outcomes: FactOutcome[] = [];
    for (const [i, candidate] of kept.entries()) {
      const vector = toStoredVector(vectors[i]!, embedder.model);
      outcomes.push(await resolveFact(tx, embedder.model, input, candidate, vector, options));
    }
    if (input.sourceTurnId != null && input.episode) {
      await storeEpisode(tx, { userId: input.userId, turnId: input.sourceTurnId, model: embedder.model, ...input.episode });
    }
    if (input.sourceTurnId != null) {
      const [marked] = await tx
        .update(conversationTurns)
        .set({ extractedAt: sql`now()`, extractionError: null })
        .where(
          and(eq(conversationTurns.id, input.sourceTurnId), eq(conversationTurns.userId, input.userId), isNull(conversationTurns.extractedAt)),
        )
        .returning({ id: conversationTurns.id });
      // Learned meanwhile (another extraction of it won), or forgotten: this one writes nothing.
      if (!marked) throw new TurnAlreadyLearned(input.sourceTurnId);
    }
    return outcomes;
  });

  const dropped: FactOutcome[] = input.candidates
    .filter((c) => c.confidence < options.minConfidence)
    .map((candidate) => ({ action: 'dropped', candidate, reason: 'low_confidence' }));
  return [...stored, ...dropped];
}

/**
 * Resolves one fact against the user's current facts, inside the caller's transaction. Facts
 * added earlier in the same transaction count, so a batch never stores a fact twice.
 */
export async function resolveFact(
  tx: Database,
  model: string,
  input: Omit<WriteFactsInput, 'candidates'>,
  extracted: CandidateFact,
  vector: number[],
  options: WriteFactsOptions,
): Promise<FactOutcome> {
  const { userId } = input;
  const candidate = await withAttributeRule(tx, userId, extracted);
  const duplicate = await findDuplicate(tx, model, userId, candidate, vector, options);
  let fact: UserFact;
  let action: 'refreshed' | 'added';
  if (duplicate) {
    [fact] = (await tx
      .update(userFacts)
      .set({
        updatedAt: sql`now()`,
        confidence: sql`GREATEST(${userFacts.confidence}, ${candidate.confidence})`,
      })
      .where(and(eq(userFacts.id, duplicate), eq(userFacts.userId, userId)))
      .returning()) as [UserFact];
    action = 'refreshed';
  } else {
    [fact] = (await tx
      .insert(userFacts)
      .values({
        userId,
        factType: candidate.factType,
        factText: candidate.factText,
        confidence: candidate.confidence,
        sourceConversationId: input.sourceConversationId ?? null,
        sourceTurnId: input.sourceTurnId ?? null,
      })
      .returning()) as [UserFact];
    await tx.insert(factEmbeddings).values({ factId: fact.id, userId, model, embedding: vector });
    action = 'added';
  }

  const superseded = await supersede(tx, userId, candidate.supersedes, fact.id);
  return { action, candidate: extracted, fact, superseded };
}

/** The user's current facts stating a value of `attribute` (of any, without one). */
export function currentAttributeFacts(tx: Database, userId: string, attribute?: Attribute) {
  return tx
    .select({
      id: userFacts.id,
      factType: userFacts.factType,
      factText: userFacts.factText,
      attribute: userFacts.attribute,
      createdAt: userFacts.createdAt,
    })
    .from(userFacts)
    .where(
      and(
        eq(userFacts.userId, userId),
        isNull(userFacts.supersededAt),
        attribute ? eq(userFacts.attribute, attribute) : isNotNull(userFacts.attribute),
      ),
    );
}

/**
 * A candidate stating a value of a single-valued attribute supersedes the user's other values of
 * it (the same value, reworded, is its duplicate instead).
 */
async function withAttributeRule(tx: Database, userId: string, candidate: CandidateFact): Promise<CandidateFact> {
  const attribute = attributeOf(candidate.factText);
  if (!attribute) return candidate;
  const others = (await currentAttributeFacts(tx, userId, attribute)).filter((f) => !sameValue(f.factText, candidate.factText));
  if (!others.length) return candidate;
  return { ...candidate, supersedes: [...new Set([...candidate.supersedes, ...others.map((f) => f.id)])] };
}

async function findDuplicate(
  tx: Database,
  model: string,
  userId: string,
  candidate: CandidateFact,
  vector: number[],
  options: WriteFactsOptions,
): Promise<string | undefined> {
  const query = JSON.stringify(vector);
  // A fact the candidate explicitly replaces is never its duplicate ("Lives in Berlin" is close
  // to "Lives in Paris" in embedding space, but it is an update, not the same fact).
  const excluded = candidate.supersedes.length
    ? sql`AND f.id <> ALL(${sql.param(candidate.supersedes)}::uuid[])`
    : sql``;
  const excludedEmbeddings = candidate.supersedes.length
    ? sql`AND e.fact_id <> ALL(${sql.param(candidate.supersedes)}::uuid[])`
    : sql``;
  // The nearest embedding (only current facts have one), and the closest wording of the same type.
  const [row] = await selectRows<{ id: string }>(
    tx,
    sql`SELECT id, score FROM (
          SELECT e.fact_id AS id, 1 - (e.embedding <=> ${query}::halfvec) AS score
          FROM fact_embeddings e
          WHERE e.user_id = ${userId} AND ${sameEmbedding('e', model, vector)} ${excludedEmbeddings}
          ORDER BY e.embedding <=> ${query}::halfvec
          LIMIT 1
        ) nearest
        WHERE score > ${options.duplicateCosine}
        UNION ALL
        SELECT f.id, similarity(f.fact_text, ${candidate.factText}) AS score
        FROM user_facts f
        WHERE f.user_id = ${userId} AND f.superseded_at IS NULL AND f.fact_type = ${candidate.factType} ${excluded}
          AND similarity(f.fact_text, ${candidate.factText}) > ${options.duplicateTrigram}
        ORDER BY score DESC
        LIMIT 1`,
  );
  return row?.id;
}

/**
 * Marks the user's current facts among `ids` as replaced by `successorId`. The fact stays as
 * history; its embedding goes, since history is never searched: so only current facts have
 * embeddings, and vector search needs no join to skip superseded ones.
 */
export async function supersede(tx: Database, userId: string, ids: string[], successorId: string): Promise<string[]> {
  const targets = ids.filter((id) => id !== successorId);
  if (!targets.length) return [];
  const rows = await tx
    .update(userFacts)
    .set({ supersededAt: sql`now()`, supersededBy: successorId, updatedAt: sql`now()` })
    .where(and(eq(userFacts.userId, userId), inArray(userFacts.id, targets), isNull(userFacts.supersededAt)))
    .returning({ id: userFacts.id });
  const superseded = rows.map((r) => r.id);
  if (superseded.length) {
    await tx
      .delete(factEmbeddings)
      .where(and(eq(factEmbeddings.userId, userId), inArray(factEmbeddings.factId, superseded)));
  }
  return superseded;
}
