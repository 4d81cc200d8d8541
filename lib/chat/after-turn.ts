/**
 * The work that follows an answer, run after the response so it never delays the first token:
 * learn the turn, fold old turns into the summary, title a new conversation (the memories' use
 * is counted with the answer itself, turn.ts). Each step is independent; a failure is logged
 * and, for learning, left to the sweep (the turn stays marked as not extracted).
 */
import { and, eq, isNull } from 'drizzle-orm';
import { conversations } from '../db/schema';
import { ONE_STATEMENT_ASYNCHRONOUS } from '../db/store';
import { messageOf } from '../errors';
import { writeTitle } from './title';
import type { ChatDeps, StartedTurn } from './turn';
import type { TurnContext } from '../memory/extract-turn';
import type { PreparedTurn } from '../memory/prepare-turn';

/** What the turn read before its answer that learning it can reuse (nothing, when the message was not embedded). */
export function learnContext({ messageVector, relatedFacts }: PreparedTurn): TurnContext | undefined {
  return messageVector ? { vector: messageVector, relatedFacts } : undefined;
}

export async function afterTurn({ store, memory, extract }: ChatDeps, turn: StartedTurn, reply: string): Promise<void> {
  const { userId, conversation } = turn;
  const steps: Promise<unknown>[] = [
    memory.learn.turn(userId, turn.userTurn.id, learnContext(turn.prepared)),
    memory.learn.fold(userId, conversation.id, turn.prepared.unsummarizedTurns),
  ];
  if (!conversation.title && reply) {
    steps.push(
      writeTitle(extract, turn.userTurn.content, reply).then((title) =>
        store.asUser(
          userId,
          (tx) =>
            tx
              .update(conversations)
              .set({ title })
              .where(and(eq(conversations.id, conversation.id), eq(conversations.userId, userId), isNull(conversations.title))),
          // Lost in a crash of the database server, the title is written again after the next answer.
          ONE_STATEMENT_ASYNCHRONOUS,
        ),
      ),
    );
  }
  const results = await Promise.allSettled(steps);
  for (const result of results) {
    if (result.status === 'rejected') console.error(`[chat] after-turn step failed: ${messageOf(result.reason)}`);
  }
}
