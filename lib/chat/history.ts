/**
 * A conversation as the chat page shows it: its turns, each answer with the memories it used,
 * and after each of the user's turns the facts Engram learned from it.
 */
import { and, asc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Database } from '../db/client';
import { getConversation } from '../db/queries';
import { conversationTurns, userFacts } from '../db/schema';
import { factRef, type FactRef } from '../memory/fact-ref';
import { effectiveStatus } from './answer';

export interface DisplayTurn {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  /** `streaming` only while its writer still saves it; one cut off reads as interrupted. */
  status: 'streaming' | 'complete' | 'interrupted' | 'failed';
  /** Answers: the memories the answer's prompt carried. */
  memories: FactRef[];
  /** Answers: the facts learned from the question they answer. */
  learned: FactRef[];
  /** Answers: the older facts those replaced (kept as history, superseded by one learned here). */
  replaced: FactRef[];
}

export async function loadConversationView(db: Database, userId: string, conversationId: string, streamingStaleAfterMs: number) {
  const conversation = await getConversation(db, userId, conversationId);
  if (!conversation) return undefined;
  const turns = await db
    .select()
    .from(conversationTurns)
    .where(and(eq(conversationTurns.conversationId, conversationId), eq(conversationTurns.userId, userId)))
    .orderBy(asc(conversationTurns.id));

  const usedIds = [...new Set(turns.flatMap((t) => t.memoryFactIds ?? []))];
  const factColumns = { id: userFacts.id, factType: userFacts.factType, factText: userFacts.factText, sourceTurnId: userFacts.sourceTurnId };
  // Only facts that still exist: a deleted memory disappears from old answers too.
  const used = usedIds.length
    ? await db.select(factColumns).from(userFacts).where(and(eq(userFacts.userId, userId), inArray(userFacts.id, usedIds)))
    : [];
  const learned = await db
    .select(factColumns)
    .from(userFacts)
    .where(and(eq(userFacts.userId, userId), eq(userFacts.sourceConversationId, conversationId), isNotNull(userFacts.sourceTurnId)));
  const learnedIds = learned.map((f) => f.id);
  const replaced = learnedIds.length
    ? await db
        .select({ ...factColumns, supersededBy: userFacts.supersededBy })
        .from(userFacts)
        .where(and(eq(userFacts.userId, userId), inArray(userFacts.supersededBy, learnedIds)))
    : [];
  const usedById = new Map(used.map((f) => [f.id, f]));

  /** The facts a question taught, and what they replaced. */
  const learnedFrom = (questionId: number | null) => {
    const taught = questionId === null ? [] : learned.filter((f) => f.sourceTurnId === questionId);
    const ids = new Set(taught.map((f) => f.id));
    return { learned: taught.map(factRef), replaced: replaced.filter((f) => f.supersededBy !== null && ids.has(f.supersededBy)).map(factRef) };
  };
  const now = Date.now();
  const display: DisplayTurn[] = turns.map((turn) => ({
    id: turn.id,
    role: turn.role,
    content: turn.content,
    status: effectiveStatus(turn, streamingStaleAfterMs, now),
    memories: (turn.memoryFactIds ?? []).map((id) => usedById.get(id)).filter((f) => f !== undefined).map(factRef),
    ...learnedFrom(turn.repliesTo),
  }));
  return { conversation, turns: display };
}

/** One of the user's answers as it stands now (the page follows one that is still being written). */
export async function loadAnswer(db: Database, userId: string, answerId: number, streamingStaleAfterMs: number) {
  const [answer] = await db
    .select({ status: conversationTurns.status, content: conversationTurns.content, updatedAt: conversationTurns.updatedAt })
    .from(conversationTurns)
    .where(and(eq(conversationTurns.id, answerId), eq(conversationTurns.userId, userId), eq(conversationTurns.role, 'assistant')));
  return answer && { status: effectiveStatus(answer, streamingStaleAfterMs), content: answer.content };
}
