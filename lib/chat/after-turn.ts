/**
 * The work that follows an answer, run after the response so it never delays the first token:
 * count the use of the memories it used, learn the turn, fold old turns into the summary, title
 * a new conversation. Each step is independent; a failure is logged and, for learning, left to
 * the sweep (the turn stays marked as not extracted).
 */
import { and, eq, isNull } from 'drizzle-orm';
import { conversations } from '../db/schema';
import { messageOf } from '../errors';
import { writeTitle } from './title';
import type { ChatDeps, StartedTurn } from './turn';

export async function afterTurn({ store, memory, extract }: ChatDeps, turn: StartedTurn, reply: string): Promise<void> {
  const { userId, conversation } = turn;
  const steps: Promise<unknown>[] = [
    memory.learn.used(userId, turn.prepared.usedFacts.map((f) => f.id)),
    memory.learn.turn(userId, turn.userTurn.id, turn.prepared.messageVector ?? undefined),
    memory.learn.fold(userId, conversation.id),
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
