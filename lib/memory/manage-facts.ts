/**
 * What a user can do with their memory: list and search it, edit a fact (re-embedded), undo a
 * delete, delete all, forget a message, see a fact's history, and switch memory off. Every
 * function takes the user's id from the caller's session and touches only that user's rows.
 */
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Embedder } from '../ai/types';
import type { Database } from '../db/client';
import { selectRows } from '../db/rows';
import type { Store } from '../db/store';
import { conversationTurns, userFacts, users, type UserFact } from '../db/schema';
import { otherValuesOf } from './dedup';
import { deleteAllEpisodes, deleteEpisode } from './episode-store';
import type { DeletedFact } from './fact-ref';
import { deleteAllFacts, deleteFactsLearnedFrom, insertFact, supersede } from './fact-store';
import { retrieveFacts, type RetrieveOptions } from './retrieve';
import type { MemoryServices } from './services';

// The settings page's components know the undo payload by this module.
export type { DeletedFact } from './fact-ref';

export type FactSort = 'newest' | 'most_used' | 'confidence';
/** A search's results in the retriever's order (best match first), or in one of the list's. */
export type SearchSort = FactSort | 'relevance';

const ORDER = {
  newest: [desc(userFacts.createdAt), desc(userFacts.id)],
  most_used: [desc(userFacts.accessCount), desc(userFacts.lastAccessed), desc(userFacts.createdAt)],
  confidence: [desc(userFacts.confidence), desc(userFacts.createdAt)],
} as const;

/** The user's current facts, in the chosen order. */
export function listCurrentFacts(db: Database, userId: string, sort: FactSort = 'newest') {
  return db
    .select()
    .from(userFacts)
    .where(and(eq(userFacts.userId, userId), isNull(userFacts.supersededAt)))
    .orderBy(...ORDER[sort]);
}

export async function countCurrentFacts(db: Database, userId: string): Promise<number> {
  const [row] = await selectRows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM user_facts WHERE user_id = ${userId} AND superseded_at IS NULL`,
  );
  return row?.n ?? 0;
}

/**
 * The memory page's search adds to what the retriever finds the nearest few facts above half its
 * floor. A one- or two-word query scores low against every fact ("food" / "Is vegetarian" 0.27 with
 * the offline embedder, under its floor of 0.38, no word shared) yet its nearest facts are the ones
 * meant: "food", "music", "pets", "job" and "family" each find theirs among the nearest three, all
 * above 0.19. Unrelated facts (no shared meaning or word) stay under half the floor, so a search
 * that matches nothing still says so instead of listing noise.
 */
export const SEARCH_NEAREST = { count: 3, floorShare: 0.5 } as const;

/**
 * Facts matching a search by meaning and by words, best first: the retriever's own hybrid ranking,
 * then the nearest few of SEARCH_NEAREST. The query is embedded by the caller, outside any unit of
 * work (see searchVectorOf).
 */
export async function searchFacts(
  db: Database,
  userId: string,
  query: { model: string; vector: number[]; text: string },
  options: RetrieveOptions,
  sort: SearchSort = 'relevance',
): Promise<UserFact[]> {
  const q = { userId, ...query };
  const matched = await retrieveFacts(db, q, { ...options, k: 50, keepNearest: 0, ranking: 'hybrid' });
  const nearest = await retrieveFacts(db, q, {
    k: SEARCH_NEAREST.count,
    minSimilarity: options.minSimilarity * SEARCH_NEAREST.floorShare,
    ranking: 'vector',
  });
  const ids = [...new Set([...matched, ...nearest].map((f) => f.id))];
  if (!ids.length) return [];
  const rows = await db
    .select()
    .from(userFacts)
    .where(and(eq(userFacts.userId, userId), inArray(userFacts.id, ids)))
    .orderBy(...ORDER[sort === 'relevance' ? 'newest' : sort]);
  if (sort !== 'relevance') return rows;
  const byId = new Map(rows.map((f) => [f.id, f]));
  // The matches in the retriever's order, then the nearest it left out.
  return ids.map((id) => byId.get(id)).filter((f) => f !== undefined);
}

/** A search's text with its embedding, as searchFacts takes it. */
export async function searchVectorOf(embedder: Embedder, text: string) {
  const [vector] = await embedder.embed([text]);
  return { model: embedder.model, vector: vector!, text };
}

/**
 * What the memory page shows: the user's current facts (those matching `query` when there is
 * one), in `sort` order ('relevance' is best match first, or newest first without a query), how
 * many there are, and each one's history.
 */
export async function reviewFacts(
  { store, embedder, settings }: MemoryServices,
  userId: string,
  { query, sort }: { query: string; sort: SearchSort },
) {
  // Embedded before the unit of work: no connection is held while the model answers.
  const search = query ? await searchVectorOf(embedder, query) : null;
  return store.asUser(userId, async (tx) => ({
    facts: search
      ? await searchFacts(tx, userId, search, settings.retrieve, sort)
      : await listCurrentFacts(tx, userId, sort === 'relevance' ? 'newest' : sort),
    count: await countCurrentFacts(tx, userId),
    histories: await historiesOf(tx, userId),
  }));
}

/**
 * A person's correction of a current fact: the new text becomes a new current fact (their own
 * words, so confidence 1; same type, source and use), and the old text stays as its history. A
 * new value of a single-valued attribute also replaces any other current value of it. Undefined
 * when the fact is not the user's, or no longer current.
 */
export async function editFact(store: Store, embedder: Embedder, userId: string, factId: string, factText: string) {
  const [vector] = await embedder.embed([factText]);
  return store.asUser(userId, async (tx) => {
    const [old] = await tx
      .select()
      .from(userFacts)
      .where(and(eq(userFacts.id, factId), eq(userFacts.userId, userId), isNull(userFacts.supersededAt)))
      .for('update');
    if (!old) return undefined;
    if (old.factText === factText) return old;
    const fact = (await insertFact(
      tx,
      {
        userId,
        factType: old.factType,
        factText,
        confidence: 1,
        sourceConversationId: old.sourceConversationId,
        sourceTurnId: old.sourceTurnId,
        accessCount: old.accessCount,
        lastAccessed: old.lastAccessed,
      },
      { model: embedder.model, vector: vector! },
    ))!;
    await supersede(tx, userId, [old.id, ...(await otherValuesOf(tx, userId, factText))], fact.id);
    return fact;
  });
}

/** Undo of a delete: the fact comes back with its id and dates, embedded again. */
export async function restoreFact(store: Store, embedder: Embedder, userId: string, fact: DeletedFact) {
  const [vector] = await embedder.embed([fact.factText]);
  return store.asUser(userId, async (tx) => {
    // The source conversation may be gone by now, and must be the user's own to be linked.
    const [source] = fact.sourceConversationId
      ? await selectRows<{ id: string }>(
          tx,
          sql`SELECT id FROM conversations WHERE id = ${fact.sourceConversationId} AND user_id = ${userId}`,
        )
      : [];
    return insertFact(tx, { ...fact, userId, sourceConversationId: source?.id ?? null }, { model: embedder.model, vector: vector! });
  });
}

/** Everything Engram learned about the user: every fact (current and history) and every episode. Their conversations stay. */
export async function deleteAllMemories(db: Database, userId: string): Promise<{ facts: number; episodes: number }> {
  return { facts: await deleteAllFacts(db, userId), episodes: await deleteAllEpisodes(db, userId) };
}

/**
 * "Don't remember this" on one of the user's messages: the facts learned from it and its episode
 * are deleted, and it is marked learned so no later extraction takes it up. Facts it had replaced
 * stay history. Undefined when it is not one of the user's own messages.
 */
export async function forgetMessage(db: Database, userId: string, turnId: number): Promise<{ facts: number; episodes: number } | undefined> {
  const [turn] = await db
    .update(conversationTurns)
    .set({ extractedAt: sql`COALESCE(${conversationTurns.extractedAt}, now())`, extractionError: null })
    .where(and(eq(conversationTurns.id, turnId), eq(conversationTurns.userId, userId), eq(conversationTurns.role, 'user')))
    .returning({ id: conversationTurns.id });
  if (!turn) return undefined;
  return { facts: await deleteFactsLearnedFrom(db, userId, turnId), episodes: await deleteEpisode(db, userId, turnId) };
}

/** The facts a fact replaced, newest first, back to the first one. */
export async function factHistory(db: Database, userId: string, factId: string): Promise<UserFact[]> {
  const rows = await selectRows<{ id: string }>(
    db,
    sql`WITH RECURSIVE chain AS (
          SELECT id, 1 AS depth FROM user_facts WHERE superseded_by = ${factId} AND user_id = ${userId}
          UNION ALL
          SELECT f.id, chain.depth + 1 FROM user_facts f JOIN chain ON f.superseded_by = chain.id
          WHERE f.user_id = ${userId} AND chain.depth < 100
        ) SELECT id FROM chain`,
  );
  if (!rows.length) return [];
  return db
    .select()
    .from(userFacts)
    .where(and(eq(userFacts.userId, userId), sql`${userFacts.id} = ANY(${sql.param(rows.map((r) => r.id))}::uuid[])`))
    .orderBy(desc(userFacts.supersededAt), asc(userFacts.createdAt));
}

/** The memory switches: memory on or off, and whether past chats are searched. */
export async function setMemorySwitches(
  db: Database,
  userId: string,
  switches: Partial<{ memoryEnabled: boolean; referenceChats: boolean }>,
): Promise<void> {
  await db.update(users).set(switches).where(eq(users.id, userId));
}

/** For each current fact that replaced others, the facts it replaced, newest first. */
export async function historiesOf(db: Database, userId: string): Promise<Map<string, UserFact[]>> {
  const superseded = await db
    .select()
    .from(userFacts)
    .where(and(eq(userFacts.userId, userId), sql`${userFacts.supersededAt} IS NOT NULL`))
    .orderBy(desc(userFacts.supersededAt));
  const bySuccessor = new Map<string, UserFact[]>();
  for (const fact of superseded) {
    if (!fact.supersededBy) continue;
    bySuccessor.set(fact.supersededBy, [...(bySuccessor.get(fact.supersededBy) ?? []), fact]);
  }
  const chains = new Map<string, UserFact[]>();
  const chainOf = (id: string, seen = new Set<string>()): UserFact[] =>
    (bySuccessor.get(id) ?? []).flatMap((f) => (seen.has(f.id) ? [] : [f, ...chainOf(f.id, seen.add(f.id))]));
  for (const successor of bySuccessor.keys()) chains.set(successor, chainOf(successor));
  return chains;
}
