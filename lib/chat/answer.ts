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
import { selectRows } from '../db/rows';
import { conversationTurns, type ConversationTurn } from '../db/schema';
import type { Store } from '../db/store';
import { messageOf } from '../errors';

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
 * Marks the conversation's cut-off answers interrupted, inside the caller's unit of work; answers
 * the live one, if any (its question's writer is still streaming it).
 */
export async function settleStreamingAnswers(tx: Database, userId: string, conversationId: string, staleAfterMs: number) {
  // One statement: the CTE marks the cut-off answers, and the outer query (which sees the rows
  // as they were) answers a streaming one it did not mark.
  const [live] = await selectRows<{ id: number | string; updated_at: Date | string }>(
    tx,
    sql`WITH settled AS (
          UPDATE conversation_turns SET status = 'interrupted'
          WHERE conversation_id = ${conversationId} AND user_id = ${userId} AND status = 'streaming'
            AND updated_at < now() - make_interval(secs => ${staleAfterMs / 1000})
          RETURNING id
        )
        SELECT id, updated_at FROM conversation_turns
        WHERE conversation_id = ${conversationId} AND user_id = ${userId} AND status = 'streaming'
          AND id NOT IN (SELECT id FROM settled)
        LIMIT 1`,
  );
  return live && { id: Number(live.id), updatedAt: new Date(live.updated_at) };
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

  private write(set: Partial<Pick<ConversationTurn, 'content' | 'status' | 'memoryFactIds'>>, alsoInUnit?: (tx: Database) => Promise<unknown>) {
    return this.store.asUser(this.userId, async (tx) => {
      await tx
        .update(conversationTurns)
        .set({ ...set, updatedAt: sql`now()` })
        .where(and(eq(conversationTurns.id, this.answerId), eq(conversationTurns.userId, this.userId)));
      await alsoInUnit?.(tx);
    });
  }

  /**
   * Stores the whole answer with how it ended. Tried twice (a dropped connection is replaced by
   * the pool); if both fail the row keeps its last save and is later read as interrupted.
   * `alsoInUnit` is the caller's write that belongs with the answer (the memories' use), in the
   * same unit of work: one transaction instead of two.
   */
  async finish(status: AnswerStatus, memoryFactIds: string[], alsoInUnit?: (tx: Database) => Promise<unknown>): Promise<boolean> {
    clearInterval(this.timer);
    await this.saving;
    const final = { content: this.content, status, memoryFactIds };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.write(final, alsoInUnit);
        return true;
      } catch (error) {
        console.error(`[chat] storing answer ${this.answerId} failed (attempt ${attempt}): ${messageOf(error)}`);
        if (attempt === 2) return false;
      }
    }
  }
}
