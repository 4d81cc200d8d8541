/**
 * What /api/health reports, framework-free: whether the database answers and how fast, how many
 * user turns still wait for their facts to be extracted and since when, and how the last nightly
 * run ended. Counts and times only: no user data, no error text.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { selectRows } from '../db/rows';
import type { Store } from '../db/store';
import { messageOf } from '../errors';
import { defaultMemorySettings } from '../memory/settings';
import { lastNightlyRun, type NightlyRun } from './nightly';

export type HealthStatus = 'ok' | 'degraded' | 'down';

export interface Health {
  /** down: the database did not answer (HTTP 503); degraded: it did, but something needs a look. */
  status: HealthStatus;
  database: {
    reachable: boolean;
    /** The health check's own unit of work: a pooled connection and three small reads. */
    latencyMs: number | null;
  };
  extraction: {
    /** User turns the after-turn step or the sweep will still extract. */
    backlog: number | null;
    oldestPendingAgeSeconds: number | null;
    /** Turns whose every attempt failed: the sweep no longer tries them. */
    gaveUp: number | null;
  };
  nightly: NightlyRun;
}

export interface HealthOptions {
  /** The whole check, database included, gives up after this long: a hung database answers `down`. */
  timeoutMs: number;
  /** As the sweep counts them (lib/memory/settings.ts). */
  maxExtractionAttempts: number;
}

export const defaultHealthOptions: HealthOptions = {
  timeoutMs: 1500,
  maxExtractionAttempts: defaultMemorySettings.maxExtractionAttempts,
};

/** A day and a bit: the nightly job should have run, and swept every turn older than this. */
const STALE_SECONDS = 26 * 60 * 60;
/** A database this slow to answer three small reads is in trouble even if it answers. */
const SLOW_DATABASE_MS = 1000;

interface Readings {
  latencyMs: number;
  backlog: number;
  oldestPendingAgeSeconds: number | null;
  gaveUp: number;
  nightly: NightlyRun;
}

async function read(tx: Database, { timeoutMs, maxExtractionAttempts }: HealthOptions): Promise<Omit<Readings, 'latencyMs'>> {
  // The server gives up too, so a check that timed out here does not keep a connection busy.
  await tx.execute(sql`SELECT set_config('statement_timeout', ${String(timeoutMs)}, true)`);
  // The sweep's partial index (extracted_at IS NULL, role = 'user') bounds this to pending turns.
  const [pending] = await selectRows<{ backlog: number; gave_up: number; oldest: number | null }>(
    tx,
    sql`SELECT count(*) FILTER (WHERE extraction_attempts < ${maxExtractionAttempts})::int AS backlog,
          count(*) FILTER (WHERE extraction_attempts >= ${maxExtractionAttempts})::int AS gave_up,
          floor(extract(epoch FROM now() - min(created_at) FILTER (WHERE extraction_attempts < ${maxExtractionAttempts})))::int AS oldest
        FROM conversation_turns WHERE extracted_at IS NULL AND role = 'user'`,
  );
  return {
    backlog: pending!.backlog,
    gaveUp: pending!.gave_up,
    oldestPendingAgeSeconds: pending!.oldest,
    nightly: await lastNightlyRun(tx),
  };
}

function statusOf(r: Readings, now: number): HealthStatus {
  const nightlyAge = r.nightly.lastRunAt ? (now - Date.parse(r.nightly.lastRunAt)) / 1000 : null;
  const degraded =
    r.latencyMs > SLOW_DATABASE_MS ||
    (r.oldestPendingAgeSeconds ?? 0) > STALE_SECONDS ||
    r.nightly.lastOutcome === 'failed' ||
    // A job that never ran may simply not be scheduled (development); one that stopped is a fault.
    (nightlyAge !== null && nightlyAge > STALE_SECONDS);
  return degraded ? 'degraded' : 'ok';
}

/**
 * Checks the app's health across users, in one system unit of work. `store` is asked for lazily,
 * inside the time limit: opening the database is part of what may hang or fail.
 */
export async function checkHealth(store: () => Promise<Store>, options: HealthOptions = defaultHealthOptions): Promise<Health> {
  const started = performance.now();
  const check = (async (): Promise<Readings> => {
    const readings = await (await store()).asSystem((tx) => read(tx, options));
    return { ...readings, latencyMs: Math.round(performance.now() - started) };
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
  });
  try {
    const readings = await Promise.race([check, timedOut]);
    return {
      status: statusOf(readings, Date.now()),
      database: { reachable: true, latencyMs: readings.latencyMs },
      extraction: { backlog: readings.backlog, oldestPendingAgeSeconds: readings.oldestPendingAgeSeconds, gaveUp: readings.gaveUp },
      nightly: readings.nightly,
    };
  } catch (error) {
    console.error(`[health] down: ${messageOf(error)}`);
    return {
      status: 'down',
      database: { reachable: false, latencyMs: null },
      extraction: { backlog: null, oldestPendingAgeSeconds: null, gaveUp: null },
      nightly: { lastRunAt: null, lastOutcome: null },
    };
  } finally {
    clearTimeout(timer);
    // A check that lost the race may still fail later: that must not become an unhandledRejection.
    check.catch(() => {});
  }
}
