/**
 * What the nightly job deletes besides memory: guests who went quiet, with all their data, and
 * rate-limit windows that have ended. Both work across users, so each step is a system unit.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';
import { selectRows } from '../db/rows';
import type { Store } from '../db/store';

export interface GuestExpiryOptions {
  /** Guests with no chat for this many days (and created before then) are deleted. */
  ttlDays: number;
  /** Guests per transaction. */
  batchSize: number;
  /** Count, delete nothing. */
  dryRun: boolean;
}

/**
 * Whether the user `u` is an idle guest: created before the cutoff, and none of its conversations
 * updated since (a new message touches its conversation). No column of its own: these two already
 * say it, and conversations_user_updated_idx answers the second per guest.
 */
const idle = (cutoff: SQL) => sql`u.is_anonymous AND u.created_at < ${cutoff}
  AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.user_id = u.id AND c.updated_at >= ${cutoff})`;

/** Runs a DELETE and answers how many rows it took. */
async function deleted(tx: Database, statement: SQL): Promise<number> {
  const [row] = await selectRows<{ n: number }>(tx, sql`WITH gone AS (${statement} RETURNING 1) SELECT count(*)::int AS n FROM gone`);
  return row!.n;
}

/**
 * Deletes guests idle for `ttlDays` and, by the foreign keys' cascades (as deleteAccount does),
 * every row of theirs: conversations, turns, facts, embeddings. Accounts are never touched; a
 * guest merged into an account has no row left. Answers how many went (would go, in a dry run).
 */
export async function expireGuests(store: Store, options: GuestExpiryOptions): Promise<number> {
  const cutoff = sql`now() - make_interval(days => ${options.ttlDays})`;
  let after = '00000000-0000-0000-0000-000000000000';
  let total = 0;
  for (;;) {
    // Guests by id, a batch at a time, so the job ends even when some are kept.
    const from = after;
    const batch = await store.asSystem(async (tx) => {
      const ids = (
        await selectRows<{ id: string }>(
          tx,
          sql`SELECT id FROM users u WHERE u.id > ${from}::uuid AND ${idle(cutoff)} ORDER BY u.id LIMIT ${options.batchSize}`,
        )
      ).map((r) => r.id);
      if (!ids.length) return undefined;
      if (options.dryRun) return { last: ids.at(-1)!, expired: ids.length };
      // A guest's row is locked by a merge into an account (FOR UPDATE) and by any write under
      // the guest (the foreign key's share lock): such a guest is in use, so it is skipped, and
      // no row can be added under the others until this unit ends.
      const locked = (
        await selectRows<{ id: string }>(tx, sql`SELECT id FROM users WHERE id = ANY(${sql.param(ids)}::uuid[]) FOR UPDATE SKIP LOCKED`)
      ).map((r) => r.id);
      // Idle again, in a statement that sees every chat committed while the locks were taken.
      const expired = await deleted(tx, sql`DELETE FROM users u WHERE u.id = ANY(${sql.param(locked)}::uuid[]) AND ${idle(cutoff)}`);
      return { last: ids.at(-1)!, expired };
    });
    if (!batch) return total;
    after = batch.last;
    total += batch.expired;
  }
}

/**
 * Deletes the rate-limit rows whose window ended before `nowMs` (ms since the epoch, the
 * limiter's own clock): a key seen again starts a new window either way. Rows without an expiry
 * never end. Answers how many went (would go, in a dry run).
 */
export async function sweepRateLimits(store: Store, { nowMs, dryRun }: { nowMs: number; dryRun: boolean }): Promise<number> {
  return store.asSystem(async (tx) => {
    if (!dryRun) return deleted(tx, sql`DELETE FROM rate_limits WHERE expire < ${nowMs}`);
    const [row] = await selectRows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM rate_limits WHERE expire < ${nowMs}`);
    return row!.n;
  });
}
