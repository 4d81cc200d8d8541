/**
 * The one module that writes user_facts and fact_embeddings: a fact is stored with its vector,
 * refreshed, superseded, deleted, and given a vector of a new model. Each function runs inside
 * the caller's unit of work; vectors come from the caller, embedded before the unit began.
 *
 * Only current facts have vectors: superseding a fact removes its vector, since history is
 * never searched, so vector search needs no join to skip superseded facts.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';
import { selectRows } from '../db/rows';
import { factEmbeddings, userFacts, type NewUserFact, type UserFact } from '../db/schema';
import type { DeletedFact } from './fact-ref';
import { vectorArray } from './stored-vector';

/** A vector and the model that made it. */
export interface ModelVector {
  model: string;
  vector: number[];
}

/**
 * Stores facts with their vectors, of one model, `vectors[i]` for `facts[i]`, in one statement.
 * Returns the facts stored, in their order; one whose given id exists already (an undo that came
 * twice) is not among them.
 */
export async function insertFacts(tx: Database, facts: NewUserFact[], model: string, vectors: number[][]): Promise<UserFact[]> {
  if (facts.length !== vectors.length) throw new RangeError(`${facts.length} facts, ${vectors.length} vectors`);
  if (!facts.length) return [];
  // Ids chosen here, so each stored fact finds its vector by its place among them.
  const withIds = facts.map((fact) => ({ ...fact, id: fact.id ?? randomUUID() }));
  const ids = withIds.map((fact) => fact.id);
  const stored = tx.$with('stored').as(tx.insert(userFacts).values(withIds).onConflictDoNothing().returning());
  const vector = tx.$with('vector').as(
    tx.insert(factEmbeddings).select(
      tx
        .select({
          factId: stored.id,
          userId: stored.userId,
          model: sql<string>`${model}`.as('model'),
          embedding: sql<string>`(${vectorArray(vectors, model)})[array_position(${sql.param(ids)}::uuid[], ${stored.id})]`.as('embedding'),
          createdAt: sql<Date>`now()`.as('created_at'),
        })
        .from(stored),
    ),
  );
  const rows = await tx.with(stored, vector).select().from(stored);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** insertFacts of one fact: undefined when `fact.id` names a fact that exists already. */
export async function insertFact(tx: Database, fact: NewUserFact, { model, vector }: ModelVector): Promise<UserFact | undefined> {
  const [stored] = await insertFacts(tx, [fact], model, [vector]);
  return stored;
}

/**
 * Current facts said again, in one statement: each is touched, and keeps the higher of its and
 * the new confidence. Fails when one is gone (deleted since it was read), so that the unit fails
 * whole. Returns the facts, one per id.
 */
export async function refreshFacts(tx: Database, userId: string, said: { id: string; confidence: number }[]): Promise<UserFact[]> {
  const highest = new Map<string, number>();
  for (const { id, confidence } of said) highest.set(id, Math.max(confidence, highest.get(id) ?? confidence));
  if (!highest.size) return [];
  const ids = [...highest.keys()];
  const facts = await tx
    .update(userFacts)
    .set({
      updatedAt: sql`now()`,
      confidence: sql`GREATEST(${userFacts.confidence}, (${sql.param([...highest.values()])}::real[])[array_position(${sql.param(ids)}::uuid[], ${userFacts.id})])`,
    })
    .where(and(eq(userFacts.userId, userId), sql`${userFacts.id} = ANY(${sql.param(ids)}::uuid[])`))
    .returning();
  const gone = ids.filter((id) => !facts.some((f) => f.id === id));
  if (gone.length) throw new Error(`The facts ${gone.join(', ')} to refresh are no longer the user's.`);
  return facts;
}

/** refreshFacts of one fact. */
export async function refreshFact(tx: Database, userId: string, factId: string, confidence: number): Promise<UserFact> {
  const [fact] = await refreshFacts(tx, userId, [{ id: factId, confidence }]);
  return fact!;
}

/**
 * Marks the user's current facts among `ids` as replaced by `successorId`; they stay as history,
 * and lose their vectors in the same statement. The successor must be one of the user's facts, and
 * is key-share locked until the unit ends (what a foreign key's check did): a delete of it waits,
 * then clears the pointers (0020). No statement when there is nothing to replace.
 */
export async function supersede(tx: Database, userId: string, ids: string[], successorId: string): Promise<string[]> {
  const targets = ids.filter((id) => id !== successorId);
  if (!targets.length) return [];
  const superseded = tx.$with('superseded').as(
    tx
      .update(userFacts)
      .set({ supersededAt: sql`now()`, supersededBy: successorId, updatedAt: sql`now()` })
      .where(
        and(
          eq(userFacts.userId, userId),
          inArray(userFacts.id, targets),
          isNull(userFacts.supersededAt),
          sql`EXISTS (SELECT 1 FROM user_facts s WHERE s.id = ${successorId} AND s.user_id = ${userId} FOR KEY SHARE)`,
        ),
      )
      .returning({ id: userFacts.id }),
  );
  const unembedded = tx.$with('unembedded').as(
    tx
      .delete(factEmbeddings)
      .where(and(eq(factEmbeddings.userId, userId), inArray(factEmbeddings.factId, tx.select({ id: superseded.id }).from(superseded))))
      .returning({ factId: factEmbeddings.factId }),
  );
  const rows = await tx.with(superseded, unembedded).select({ id: superseded.id }).from(superseded);
  return rows.map((r) => r.id);
}

/** Deletes facts of the user by id (their vectors go with them, 0020); returns what Undo needs. */
export async function deleteFacts(tx: Database, userId: string, factIds: string[]): Promise<DeletedFact[]> {
  if (!factIds.length) return [];
  return tx
    .delete(userFacts)
    .where(and(eq(userFacts.userId, userId), sql`${userFacts.id} = ANY(${sql.param(factIds)}::uuid[])`))
    .returning({
      id: userFacts.id,
      factType: userFacts.factType,
      factText: userFacts.factText,
      confidence: userFacts.confidence,
      createdAt: userFacts.createdAt,
      sourceConversationId: userFacts.sourceConversationId,
      accessCount: userFacts.accessCount,
    });
}

/** Deletes the user's facts learned from one of their turns; returns how many. */
export async function deleteFactsLearnedFrom(tx: Database, userId: string, turnId: number): Promise<number> {
  const deleted = await tx
    .delete(userFacts)
    .where(and(eq(userFacts.userId, userId), eq(userFacts.sourceTurnId, turnId)))
    .returning({ id: userFacts.id });
  return deleted.length;
}

/** Deletes every fact of the user, current and history; returns how many. */
export async function deleteAllFacts(tx: Database, userId: string): Promise<number> {
  const deleted = await tx.delete(userFacts).where(eq(userFacts.userId, userId)).returning({ id: userFacts.id });
  return deleted.length;
}

/** Deletes the facts `condition` (on user_facts' columns) selects, across users; returns how many. */
export async function deleteFactsWhere(tx: Database, condition: SQL): Promise<number> {
  const [row] = await selectRows<{ n: number }>(
    tx,
    sql`WITH deleted AS (DELETE FROM user_facts WHERE ${condition} RETURNING 1) SELECT count(*)::int AS n FROM deleted`,
  );
  return row!.n;
}

/**
 * Gives facts a vector of `model` (replacing one of the same model), `vectors[i]` for
 * `factIds[i]`; a fact that stopped being current meanwhile (superseded, deleted) gets none.
 */
export function storeFactVectors(tx: Database, model: string, factIds: string[], vectors: number[][]) {
  return tx.execute(sql`
    INSERT INTO fact_embeddings (fact_id, user_id, model, embedding)
    SELECT f.id, f.user_id, ${model}, v.embedding
    FROM unnest(${sql.param(factIds)}::uuid[], ${vectorArray(vectors, model)}) AS v (id, embedding)
    JOIN user_facts f ON f.id = v.id AND f.superseded_at IS NULL
    -- As a foreign key's check: a delete of the fact waits for this unit, then takes the vector too.
    FOR KEY SHARE OF f
    ON CONFLICT (fact_id, model) DO UPDATE SET embedding = EXCLUDED.embedding`);
}

/** Deletes every fact vector not of `model` at `width`, across users; returns how many. */
export async function pruneFactVectors(tx: Database, model: string, width: number): Promise<number> {
  const [row] = await selectRows<{ n: number }>(
    tx,
    sql`WITH gone AS (DELETE FROM fact_embeddings WHERE model <> ${model} OR vector_dims(embedding) <> ${width} RETURNING 1)
        SELECT count(*)::int AS n FROM gone`,
  );
  return row!.n;
}

/**
 * Bumps the access statistics of exactly the facts a turn used, by id, within the user's rows. A
 * query, not a promise: the answer's final write carries it as a CTE (one round trip, not two).
 */
export function recordFactAccess(db: Database, userId: string, factIds: string[]) {
  return db
    .update(userFacts)
    .set({ lastAccessed: sql`now()`, accessCount: sql`${userFacts.accessCount} + 1` })
    .where(and(eq(userFacts.userId, userId), inArray(userFacts.id, factIds)))
    .returning({ id: userFacts.id });
}
