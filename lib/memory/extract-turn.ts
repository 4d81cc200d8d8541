/**
 * After a turn: extract the user's durable facts from it and store them. The turn's
 * `extracted_at` is the outbox: it is set in the same transaction as the facts, and a turn whose
 * extraction failed (vendor down, invalid answer, process killed) keeps it null, with the error
 * and the attempt count recorded, until the sweep extracts it.
 */
import { and, asc, eq, isNull, lt, sql } from 'drizzle-orm';
import { conversationTurns } from '../db/schema';
import { ONE_STATEMENT, ONE_STATEMENT_ASYNCHRONOUS } from '../db/store';
import { extractFacts } from './extract-facts';
import { retrieveFacts, type RetrievedFact } from './retrieve';
import { containsSecret } from './secrets';
import type { MemoryServices } from './services';
import { attributeFactsOf, currentAttributeFacts, currentAttributeFactsJson } from './dedup';
import { TurnAlreadyLearned, writeFacts, type FactOutcome } from './write-facts';
import { messageOf } from '../errors';

export type ExtractTurnResult =
  | { status: 'extracted'; outcomes: FactOutcome[] }
  | { status: 'skipped'; reason: 'not_found' | 'already_extracted' | 'memory_off' | 'secret' }
  | { status: 'failed'; error: string };

/** Known facts shown to the extractor, so it can see what a new fact updates. */
const RELATED_FACTS = 10;
const RELATED_MIN_SIMILARITY = 0.3;

/** What the chat turn already read for its message, so learning it reads none of it again. */
export interface TurnContext {
  /** The message's embedding. */
  vector: number[];
  /** The user's facts the prompt's retrieval found for the message, most relevant first. */
  relatedFacts: RetrievedFact[];
}

export async function extractTurn(services: MemoryServices, userId: string, turnId: number, context?: TurnContext): Promise<ExtractTurnResult> {
  const { store, embedder, extract, settings } = services;
  // The claim and the learning commit without waiting for the disk (UnitShape.asynchronousCommit):
  // lost in a crash of the database server, the turn is unmarked again and the sweep learns it.
  const claimed = await store.asUser(userId, async (tx) => {
    // Count the attempt first, so a process killed mid-extraction still counts it; the memory
    // switch and the answer to this question come back with it, and, with the turn's context,
    // the single-valued attributes, all that learning has left to read: one statement.
    const [turn] = await tx
      .update(conversationTurns)
      .set({ extractionAttempts: sql`${conversationTurns.extractionAttempts} + 1` })
      .where(
        and(
          eq(conversationTurns.id, turnId),
          eq(conversationTurns.userId, userId),
          eq(conversationTurns.role, 'user'),
          isNull(conversationTurns.extractedAt),
        ),
      )
      .returning({
        id: conversationTurns.id,
        conversationId: conversationTurns.conversationId,
        content: conversationTurns.content,
        extractionAttempts: conversationTurns.extractionAttempts,
        memoryEnabled: sql<boolean | null>`(SELECT u.memory_enabled FROM users u WHERE u.id = ${userId})`,
        // A retried question's newest answer is the one that stands.
        reply: sql<string | null>`(SELECT r.content FROM conversation_turns r
          WHERE r.conversation_id = "conversation_turns"."conversation_id" AND r.user_id = ${userId}
            AND r.replies_to = "conversation_turns"."id" ORDER BY r.id DESC LIMIT 1)`,
        attributes: context ? currentAttributeFactsJson(tx, userId) : sql<null>`NULL`,
      });
    return turn;
  }, ONE_STATEMENT_ASYNCHRONOUS);
  if (!claimed) return { status: 'skipped', reason: 'not_found' };
  const { attributes: claimedAttributes, ...turn } = claimed;
  const learnable = turn.memoryEnabled === true && !containsSecret(turn.content);

  // What is said while memory is off is never learned, not even later; nor is a message that
  // carries a secret (a key, a password, a card number): no facts, no episode. That mark is
  // durable: redone after a crash, it would ask the memory switch again, which may have changed.
  if (!learnable) {
    await writeFacts(store, embedder, { userId, sourceTurnId: turnId, candidates: [] }, settings.write).catch((error: unknown) => {
      if (!(error instanceof TurnAlreadyLearned)) throw error;
    });
    return { status: 'skipped', reason: turn.memoryEnabled === true ? 'secret' : 'memory_off' };
  }

  try {
    const vector = context?.vector ?? (await embedder.embed([turn.content]))[0]!;
    // The most similar facts, and every current value of a single-valued attribute (where they
    // live, work…), so the extractor can mark what a new value replaces even when it is not similar.
    // With the turn's context, the prompt's retrieval stands in for the search (a match by words
    // has no similarity, and counts as related).
    const related = (facts: RetrievedFact[]) =>
      facts.filter((f) => f.similarity === null || f.similarity >= RELATED_MIN_SIMILARITY).slice(0, RELATED_FACTS);
    const [similar, attributes] =
      context && claimedAttributes
        ? [related(context.relatedFacts), attributeFactsOf(claimedAttributes)]
        : await store.readAsUser(userId, async (tx) => [
            await retrieveFacts(
              tx,
              { userId, model: embedder.model, vector, text: turn.content },
              { ...settings.retrieve, k: RELATED_FACTS, minSimilarity: RELATED_MIN_SIMILARITY },
            ),
            await currentAttributeFacts(tx, userId),
          ]);
    const knownFacts = [...similar, ...attributes.filter((a) => !similar.some((f) => f.id === a.id))];
    const candidates = await extractFacts(extract, {
      userMessage: turn.content,
      assistantReply: turn.reply ?? undefined,
      knownFacts,
    });
    const outcomes = await writeFacts(
      store,
      embedder,
      { userId, sourceConversationId: turn.conversationId, sourceTurnId: turn.id, candidates, episode: { conversationId: turn.conversationId, vector }, asynchronousCommit: true },
      settings.write,
    );
    return { status: 'extracted', outcomes };
  } catch (error) {
    if (error instanceof TurnAlreadyLearned) return { status: 'skipped', reason: 'already_extracted' };
    const message = messageOf(error);
    console.error(`[memory] extraction of turn ${turnId} failed (attempt ${turn.extractionAttempts}): ${message}`);
    await store.asUser(
      userId,
      (tx) =>
        tx
          .update(conversationTurns)
          .set({ extractionError: message.slice(0, 2000) })
          .where(and(eq(conversationTurns.id, turnId), eq(conversationTurns.userId, userId))),
      ONE_STATEMENT,
    );
    return { status: 'failed', error: message };
  }
}

export interface SweepOptions {
  /** Turns younger than this are left to the after-response step still running for them. */
  minAgeSeconds: number;
  limit: number;
}

export interface SweepSummary {
  attempted: number;
  extracted: number;
  failed: number;
  /** Learned meanwhile by another run (a concurrent sweep, the late after-turn step), forgotten, or memory off. */
  skipped: number;
}

/** Extracts the turns whose extraction never finished, oldest first, up to `limit`. */
export async function sweepPendingExtractions(
  services: MemoryServices,
  { minAgeSeconds, limit }: SweepOptions,
): Promise<SweepSummary> {
  // Across users: the one read the sweep makes as the system; each turn is then extracted as its user.
  const pending = await services.store.asSystem((tx) =>
    tx
      .select({ id: conversationTurns.id, userId: conversationTurns.userId })
      .from(conversationTurns)
      .where(
        and(
          isNull(conversationTurns.extractedAt),
          eq(conversationTurns.role, 'user'),
          lt(conversationTurns.createdAt, sql`now() - make_interval(secs => ${minAgeSeconds})`),
          lt(conversationTurns.extractionAttempts, services.settings.maxExtractionAttempts),
        ),
      )
      .orderBy(asc(conversationTurns.id))
      .limit(limit),
  );

  const summary: SweepSummary = { attempted: pending.length, extracted: 0, failed: 0, skipped: 0 };
  for (const turn of pending) {
    const result = await extractTurn(services, turn.userId, turn.id);
    summary[result.status] += 1;
  }
  return summary;
}
