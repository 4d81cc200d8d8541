/** Whether a user turn's facts were extracted yet, and which facts it taught Engram. */
import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../db/client';
import { conversationTurns, userFacts } from '../db/schema';
import type { FactRef } from '../memory/fact-ref';

export interface TurnMemoryStatus {
  state: 'pending' | 'extracted' | 'failed';
  learned: FactRef[];
  /** The older facts those replaced. */
  replaced: FactRef[];
}

export async function turnMemoryStatus(db: Database, userId: string, turnId: number): Promise<TurnMemoryStatus | undefined> {
  const [turn] = await db
    .select({ extractedAt: conversationTurns.extractedAt, error: conversationTurns.extractionError })
    .from(conversationTurns)
    .where(and(eq(conversationTurns.id, turnId), eq(conversationTurns.userId, userId), eq(conversationTurns.role, 'user')));
  if (!turn) return undefined;
  if (!turn.extractedAt) return { state: turn.error ? 'failed' : 'pending', learned: [], replaced: [] };
  const columns = { id: userFacts.id, factType: userFacts.factType, factText: userFacts.factText };
  const learned = await db
    .select(columns)
    .from(userFacts)
    .where(and(eq(userFacts.userId, userId), eq(userFacts.sourceTurnId, turnId)));
  const replaced = learned.length
    ? await db
        .select(columns)
        .from(userFacts)
        .where(and(eq(userFacts.userId, userId), inArray(userFacts.supersededBy, learned.map((f) => f.id))))
    : [];
  return { state: 'extracted', learned, replaced };
}
