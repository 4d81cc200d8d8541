/**
 * The work that follows an answer, run after the response so it never delays the first token:
 * count the use of the memories it used, extract the turn's facts, fold old turns into the
 * summary, title a new conversation. Each step is independent; a failure is logged and, for
 * extraction, left to the sweep (the turn stays marked as not extracted).
 */
import { and, eq, isNull } from 'drizzle-orm';
import { conversations } from '../db/schema';
import { extractTurn } from '../memory/extract-turn';
import { recordFactAccess } from '../memory/retrieve';
import { foldOldTurns } from '../memory/short-term';
import type { MemoryServices } from '../memory/services';
import { messageOf } from '../errors';
import { writeTitle } from './title';
import type { StartedTurn } from './turn';

export async function afterTurn(services: MemoryServices, turn: StartedTurn, reply: string): Promise<void> {
  const { store, extract, settings } = services;
  const { userId, conversation } = turn;
  const steps: Promise<unknown>[] = [
    store.asUser(userId, (tx) => recordFactAccess(tx, userId, turn.prepared.usedFacts.map((f) => f.id))),
    extractTurn(services, userId, turn.userTurn.id, turn.prepared.messageVector ?? undefined),
    foldOldTurns(store, extract, userId, conversation.id, settings.shortTerm),
  ];
  if (!conversation.title && reply) {
    steps.push(
      writeTitle(extract, turn.userTurn.content, reply).then((title) =>
        store.asUser(userId, (tx) =>
          tx
            .update(conversations)
            .set({ title })
            .where(and(eq(conversations.id, conversation.id), eq(conversations.userId, userId), isNull(conversations.title))),
        ),
      ),
    );
  }
  const results = await Promise.allSettled(steps);
  for (const result of results) {
    if (result.status === 'rejected') console.error(`[chat] after-turn step failed: ${messageOf(result.reason)}`);
  }
}
