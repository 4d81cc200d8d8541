/**
 * The nightly job: delete guests who went quiet (with all their data), forget facts that went
 * unused, keep each user's memory under its cap, purge old history, delete ended rate-limit
 * windows, and extract turns whose extraction never finished. It works through users in
 * small batches, each in its own short transaction, so it never holds locks for long or stalls
 * chat traffic; a lease makes a second run at the same time skip instead of deleting twice.
 */
import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';
import { selectRows } from '../db/rows';
import { expireGuests, sweepRateLimits } from '../ops/expiry';
import { sweepPendingExtractions, type SweepSummary } from './extract-turn';
import { deleteFactsWhere } from './fact-store';
import type { MemoryServices } from './services';

export interface DecayPolicy {
  /** Facts not used for this many days… */
  ttlDays: number;
  /** …and used fewer times than this are forgotten. */
  minAccessCount: number;
  /** Current facts kept per user: the highest confidence, then the most used. */
  maxFactsPerUser: number;
  /** Superseded history older than this many days is purged. */
  historyRetentionDays: number;
}

/** The design's profiles, selectable by MEMORY_PROFILE. */
export const DECAY_PRESETS = {
  default: { ttlDays: 60, minAccessCount: 3, maxFactsPerUser: 500, historyRetentionDays: 90 },
  support_bot: { ttlDays: 30, minAccessCount: 3, maxFactsPerUser: 200, historyRetentionDays: 30 },
  personal_assistant: { ttlDays: 180, minAccessCount: 3, maxFactsPerUser: 1000, historyRetentionDays: 365 },
} satisfies Record<string, DecayPolicy>;

export type DecayProfile = keyof typeof DECAY_PRESETS;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When the TTL rule (see `expired` below, which says the same in SQL) makes a fact forgettable:
 * `ttlDays` after its last use, or after it was learned if never used. Null when it has been used
 * `minAccessCount` times, which keeps it whatever its age. The nightly run after that moment deletes it.
 */
export function expiresAt(
  fact: { createdAt: Date; lastAccessed: Date | null; accessCount: number },
  policy: Pick<DecayPolicy, 'ttlDays' | 'minAccessCount'>,
): Date | null {
  if (fact.accessCount >= policy.minAccessCount) return null;
  return new Date((fact.lastAccessed ?? fact.createdAt).getTime() + policy.ttlDays * DAY_MS);
}

export interface DecayOptions {
  policy: DecayPolicy;
  /** Count what would be deleted, delete nothing. */
  dryRun: boolean;
  /** Users per transaction. */
  batchSize: number;
  /** Extract turns left unextracted (skipped in a dry run). */
  sweep: boolean;
  /** How long a run may hold the lease before another may start. */
  leaseSeconds: number;
  /** Guests with no chat for this many days are deleted with all their data (GUEST_TTL_DAYS). */
  guestTtlDays: number;
}

export const defaultDecayOptions: DecayOptions = {
  policy: DECAY_PRESETS.default,
  dryRun: false,
  batchSize: 50,
  sweep: true,
  leaseSeconds: 15 * 60,
  guestTtlDays: 30,
};

export type DecaySummary =
  | {
      status: 'completed';
      dryRun: boolean;
      policy: DecayPolicy;
      guestsExpired: number;
      users: number;
      factsExpired: number;
      factsCapped: number;
      historyPurged: number;
      rateLimitsSwept: number;
      turnsSwept: SweepSummary | null;
      durationMs: number;
    }
  | { status: 'skipped'; reason: 'another run holds the lease' };

const JOB = 'memory-decay';

/** The TTL rule (expiresAt's) on a current fact's columns. */
function unused(policy: DecayPolicy): SQL {
  return sql`COALESCE(last_accessed, created_at) <= now() - make_interval(days => ${policy.ttlDays})
    AND access_count < ${policy.minAccessCount}`;
}

/**
 * The facts each rule removes for a batch of users, as conditions on user_facts' columns: the
 * delete then reads the batch's rows once, not a second time by id.
 */
function expired(users: SQL, policy: DecayPolicy): SQL {
  return sql`user_id = ANY(${users}) AND superseded_at IS NULL AND ${unused(policy)}`;
}

function overCap(users: SQL, policy: DecayPolicy): SQL {
  return sql`id IN (SELECT id FROM (
      SELECT id, row_number() OVER (
        PARTITION BY user_id ORDER BY confidence DESC, access_count DESC, created_at DESC, id
      ) AS position
      FROM user_facts WHERE user_id = ANY(${users}) AND superseded_at IS NULL
        -- Ranked among the facts the TTL rule leaves (already gone, except in a dry run).
        AND NOT (${unused(policy)})
    ) ranked WHERE position > ${policy.maxFactsPerUser})`;
}

function oldHistory(users: SQL, policy: DecayPolicy): SQL {
  return sql`user_id = ANY(${users}) AND superseded_at <= now() - make_interval(days => ${policy.historyRetentionDays})`;
}

async function apply(tx: Database, doomed: SQL, dryRun: boolean): Promise<number> {
  // Their vectors go with them (migration 0020's trigger).
  if (!dryRun) return deleteFactsWhere(tx, doomed);
  const [row] = await selectRows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM user_facts WHERE ${doomed}`);
  return row!.n;
}

async function takeLease(db: Database, runId: string, seconds: number): Promise<boolean> {
  const rows = await selectRows<{ run_id: string }>(
    db,
    sql`INSERT INTO job_leases (job, run_id, leased_until) VALUES (${JOB}, ${runId}, now() + make_interval(secs => ${seconds}))
        ON CONFLICT (job) DO UPDATE SET run_id = EXCLUDED.run_id, leased_until = EXCLUDED.leased_until
        WHERE job_leases.leased_until < now()
        RETURNING run_id`,
  );
  return rows.length > 0;
}

async function releaseLease(db: Database, runId: string) {
  await db.execute(sql`UPDATE job_leases SET leased_until = now() WHERE job = ${JOB} AND run_id = ${runId}`);
}

/** Works across all users, so each step is a system unit of work; each batch is its own. */
export async function runDecay(services: MemoryServices, options: DecayOptions = defaultDecayOptions): Promise<DecaySummary> {
  const { store } = services;
  const started = performance.now();
  const runId = randomUUID();
  if (!(await store.asSystem((tx) => takeLease(tx, runId, options.leaseSeconds)))) {
    return { status: 'skipped', reason: 'another run holds the lease' };
  }

  try {
    // First, so the facts' batches below no longer pass over the guests' rows.
    const guestsExpired = await expireGuests(store, { ttlDays: options.guestTtlDays, batchSize: options.batchSize, dryRun: options.dryRun });
    const totals = { users: 0, factsExpired: 0, factsCapped: 0, historyPurged: 0 };
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      // Users by id, a batch at a time: a range of the primary key, never a scan of the facts.
      const from = after;
      const counts = await store.asSystem(async (tx) => {
        const batch = (
          await selectRows<{ id: string }>(
            tx,
            sql`SELECT id FROM users WHERE id > ${from}::uuid ORDER BY id LIMIT ${options.batchSize}`,
          )
        ).map((r) => r.id);
        if (!batch.length) return undefined;
        const users = sql`${sql.param(batch)}::uuid[]`;
        return {
          users: batch.length,
          last: batch.at(-1)!,
          factsExpired: await apply(tx, expired(users, options.policy), options.dryRun),
          factsCapped: await apply(tx, overCap(users, options.policy), options.dryRun),
          historyPurged: await apply(tx, oldHistory(users, options.policy), options.dryRun),
        };
      });
      if (!counts) break;
      after = counts.last;
      totals.users += counts.users;
      totals.factsExpired += counts.factsExpired;
      totals.factsCapped += counts.factsCapped;
      totals.historyPurged += counts.historyPurged;
    }
    const rateLimitsSwept = await sweepRateLimits(store, { nowMs: Date.now(), dryRun: options.dryRun });
    const turnsSwept =
      options.sweep && !options.dryRun ? await sweepPendingExtractions(services, { minAgeSeconds: 300, limit: 1000 }) : null;
    return {
      status: 'completed',
      dryRun: options.dryRun,
      policy: options.policy,
      guestsExpired,
      ...totals,
      rateLimitsSwept,
      turnsSwept,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await store.asSystem((tx) => releaseLease(tx, runId));
  }
}
