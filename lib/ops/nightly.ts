/**
 * When the nightly job last ran and how it ended, for /api/health. Kept in `job_leases`, the
 * jobs' own table (no migration): one row per outcome, `memory-decay:completed` and
 * `memory-decay:failed`, whose `leased_until` is when such a run last ended. Nothing ever leases
 * these keys, so for them the column only means "ended at".
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { selectRows } from '../db/rows';
import type { Store } from '../db/store';
import { messageOf } from '../errors';
import type { DecaySummary } from '../memory/decay';

export type NightlyOutcome = 'completed' | 'failed';

export interface NightlyRun {
  /** ISO 8601; null when no run was ever recorded. */
  lastRunAt: string | null;
  lastOutcome: NightlyOutcome | null;
}

const KEYS: Record<NightlyOutcome, string> = { completed: 'memory-decay:completed', failed: 'memory-decay:failed' };

async function record(store: Store, outcome: NightlyOutcome): Promise<void> {
  try {
    await store.asSystem((tx) =>
      tx.execute(sql`INSERT INTO job_leases (job, run_id, leased_until) VALUES (${KEYS[outcome]}, ${randomUUID()}, now())
        ON CONFLICT (job) DO UPDATE SET run_id = EXCLUDED.run_id, leased_until = EXCLUDED.leased_until`),
    );
  } catch (error) {
    // The run's own result matters more; a run left unrecorded shows as a stale lastRunAt.
    console.error(`[nightly] recording the run (${outcome}) failed: ${messageOf(error)}`);
  }
}

/**
 * Runs the nightly job and records how it ended. A dry run or a run skipped because another
 * holds the lease did no work, so it is not recorded.
 */
export async function recordNightlyRun(store: Store, run: () => Promise<DecaySummary>): Promise<DecaySummary> {
  let summary: DecaySummary;
  try {
    summary = await run();
  } catch (error) {
    await record(store, 'failed');
    throw error;
  }
  if (summary.status === 'completed' && !summary.dryRun) await record(store, 'completed');
  return summary;
}

/** The latest recorded run, read in a system unit of work. */
export async function lastNightlyRun(tx: Database): Promise<NightlyRun> {
  const [latest] = await selectRows<{ job: string; ended: Date | string }>(
    tx,
    sql`SELECT job, leased_until AS ended FROM job_leases WHERE job IN (${KEYS.completed}, ${KEYS.failed})
        ORDER BY leased_until DESC LIMIT 1`,
  );
  if (!latest) return { lastRunAt: null, lastOutcome: null };
  return {
    lastRunAt: new Date(latest.ended).toISOString(),
    lastOutcome: latest.job === KEYS.failed ? 'failed' : 'completed',
  };
}
