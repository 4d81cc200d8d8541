/**
 * The answer's row while it streams (ARCHITECTURE.md, "An answer is stored while it streams").
 * It is created `streaming` with its question, saved as it grows (at most once per
 * `ANSWER_SAVE_INTERVAL_MS`), and ends complete, failed or interrupted. A process that dies
 * leaves it `streaming` with the text saved so far; once nothing has saved it for longer than the
 * save interval plus the model's time-out it counts as interrupted. That test needs no knowledge
 * of which instance wrote it, so no instance ever settles another's live answer.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { questionAndAnswer } from '../db/queries';
import { conversationTurns, type ConversationTurn } from '../db/schema';
import { ONE_STATEMENT, type Store } from '../db/store';
import { messageOf } from '../errors';
import { recordFactAccess } from '../memory/fact-store';

/** The answer is written to the database at most this often while it streams. */
export const ANSWER_SAVE_INTERVAL_MS = 1000;

export type AnswerStatus = 'complete' | 'failed' | 'interrupted';

/** How long a streaming answer may go unsaved before it counts as cut off. */
export const streamingStaleAfterMs = (modelTimeoutMs: number) => ANSWER_SAVE_INTERVAL_MS + modelTimeoutMs;

/** The status a person should see: a streaming answer that stopped being saved was interrupted. */
export function effectiveStatus(turn: Pick<ConversationTurn, 'status' | 'updatedAt'>, staleAfterMs: number, now = Date.now()) {
  return turn.status === 'streaming' && now - turn.updatedAt.getTime() > staleAfterMs ? 'interrupted' : turn.status;
}

/**
 * The CTEs that mark the conversation's cut-off answers interrupted (`settled`) and find the live
 * one, if any (`live`: its question's writer is still streaming it), for the caller's statement.
 * The outer query sees the rows as they were, so `live` leaves out what `settled` marked.
 */
function settling(tx: Database, userId: string, conversationId: string, staleAfterMs: number) {
  const streaming = sql`conversation_id = ${conversationId} AND user_id = ${userId} AND status = 'streaming'`;
  const settled = tx.$with('settled', { id: conversationTurns.id }).as(
    sql`UPDATE conversation_turns SET status = 'interrupted'
        WHERE ${streaming} AND updated_at < now() - make_interval(secs => ${staleAfterMs / 1000})
        RETURNING id`,
  );
  // An aggregate, not LIMIT 1: under a LIMIT the planner may bet on meeting a streaming answer
  // early in a scan of the whole table. The newest save says how long to wait.
  const live = tx.$with('live', { updatedAt: conversationTurns.updatedAt }).as(
    sql`SELECT max(updated_at) AS updated_at FROM conversation_turns
        WHERE ${streaming} AND id NOT IN (SELECT id FROM settled) HAVING count(*) > 0`,
  );
  return { settled, live };
}

/** Settles the conversation's cut-off answers inside the caller's unit of work; answers the live one, if any. */
export async function settleStreamingAnswers(tx: Database, userId: string, conversationId: string, staleAfterMs: number) {
  const { settled, live } = settling(tx, userId, conversationId, staleAfterMs);
  const [row] = await tx.with(settled, live).select().from(live);
  return row;
}

/**
 * A new message and its answer's row, stored in one statement that also settles the
 * conversation's cut-off answers and finds a live one. With a live answer the caller must not
 * keep what was stored (it rolls its unit of work back): one round trip in the usual case, where
 * checking first and then storing took two.
 */
export async function storeUnlessAnswering(tx: Database, userId: string, conversationId: string, content: string, staleAfterMs: number) {
  const { settled, live } = settling(tx, userId, conversationId, staleAfterMs);
  const { question, answer } = questionAndAnswer(tx, userId, conversationId, content);
  const [row] = await tx.with(settled, live, question, answer).select().from(question).crossJoin(answer).leftJoin(live, sql`true`);
  return { question: row!.question, answerId: row!.answer.id, live: row!.live ?? undefined };
}

/**
 * Saves a streaming answer as it grows: text changed since the last save is written at most once
 * per interval, and an unchanged answer (a slow vendor, a tool call) is saved again before half
 * the stale time passes, so a live answer never looks cut off. Saves never overlap; a failed save
 * is logged and the next one carries the text.
 */
export class AnswerWriter {
  private content = '';
  private saved = '';
  private savedAt = Date.now();
  private saving: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly userId: string,
    readonly answerId: number,
    private readonly staleAfterMs: number,
  ) {
    this.timer = setInterval(() => this.save(), ANSWER_SAVE_INTERVAL_MS);
    // A pending save never keeps a finished process alive.
    this.timer.unref();
  }

  append(text: string) {
    this.content += text;
  }

  private save() {
    if (this.saving) return;
    if (this.content === this.saved && Date.now() - this.savedAt < this.staleAfterMs / 2) return;
    const content = this.content;
    this.saving = this.write({ content })
      .then(() => {
        this.saved = content;
        this.savedAt = Date.now();
      })
      .catch((error: unknown) => console.error(`[chat] saving answer ${this.answerId} as it streams failed: ${messageOf(error)}`))
      .finally(() => (this.saving = null));
  }

  private write(set: Partial<Pick<ConversationTurn, 'content' | 'status' | 'memoryFactIds'>>) {
    return this.store.asUser(this.userId, async (tx) => {
      // The memories an answer used count as used with it: their statistics ride on the same
      // statement as a CTE (PostgreSQL runs a data-modifying CTE whether or not it is read).
      const used = set.memoryFactIds?.length ? tx.$with('fact_access').as(recordFactAccess(tx, this.userId, set.memoryFactIds)) : undefined;
      await (used ? tx.with(used) : tx)
        .update(conversationTurns)
        .set({ ...set, updatedAt: sql`now()` })
        .where(and(eq(conversationTurns.id, this.answerId), eq(conversationTurns.userId, this.userId)));
    }, ONE_STATEMENT);
  }

  /**
   * Stores the whole answer with how it ended. Tried twice (a dropped connection is replaced by
   * the pool); if both fail the row keeps its last save and is later read as interrupted. The
   * memories it used (`memoryFactIds`) have their access counted in the same statement.
   */
  async finish(status: AnswerStatus, memoryFactIds: string[]): Promise<boolean> {
    clearInterval(this.timer);
    await this.saving;
    const final = { content: this.content, status, memoryFactIds };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.write(final);
        return true;
      } catch (error) {
        console.error(`[chat] storing answer ${this.answerId} failed (attempt ${attempt}): ${messageOf(error)}`);
        if (attempt === 2) return false;
      }
    }
  }
}
