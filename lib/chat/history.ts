/**
 * A conversation as the chat page shows it: its turns, each answer with the memories it used,
 * and after each of the user's turns the facts Engram learned from it.
 */
import { and, asc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Database } from '../db/client';
import { getConversation } from '../db/queries';
import { conversationTurns, userFacts } from '../db/schema';
import { factRef, type FactRef } from '../memory/fact-ref';

export interface DisplayTurn {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  status: 'complete' | 'interrupted' | 'failed';
  /** Answers: the memories the answer's prompt carried. */
  memories: FactRef[];
  /** Answers: the facts learned from the user's message before it. */
  learned: FactRef[];
}

export async function loadConversationView(db: Database, userId: string, conversationId: string) {
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
  const usedById = new Map(used.map((f) => [f.id, f]));

  const display: DisplayTurn[] = turns.map((turn, i) => {
    const question = turns[i - 1];
    return {
      id: turn.id,
      role: turn.role,
      content: turn.content,
      status: turn.status,
      memories: (turn.memoryFactIds ?? []).map((id) => usedById.get(id)).filter((f) => f !== undefined).map(factRef),
      learned: turn.role === 'assistant' && question ? learned.filter((f) => f.sourceTurnId === question.id).map(factRef) : [],
    };
  });
  return { conversation, turns: display };
}
