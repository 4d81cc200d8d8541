/**
 * The health report (/api/health) on each engine: the extraction backlog and its age, the last
 * nightly run as recorded by recordNightlyRun, and `down` in bounded time when the database
 * hangs or cannot be opened.
 */
import { sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { createAnonymousUser, createConversation } from '@/lib/db/queries';
import { selectRows } from '@/lib/db/rows';
import { users } from '@/lib/db/schema';
import type { Store } from '@/lib/db/store';
import { defaultDecayOptions, runDecay } from '@/lib/memory/decay';
import { defaultMemorySettings } from '@/lib/memory/settings';
import { checkHealth, defaultHealthOptions } from '@/lib/ops/health';
import { recordNightlyRun } from '@/lib/ops/nightly';
import { scriptedEmbedder, scriptedExtract } from '../../helpers/models';
import { describeOnEngine } from '../engines';

describeOnEngine('the health report', (db, engine, store) => {
  const health = (options = defaultHealthOptions) => checkHealth(async () => store(), options);

  /** A user turn `ageSeconds` old, its extraction tried `attempts` times, `extracted` or not. */
  async function turn(userId: string, conversationId: string, o: { ageSeconds: number; attempts?: number; extracted?: boolean }) {
    await db().execute(sql`INSERT INTO conversation_turns (user_id, conversation_id, role, content, created_at, extraction_attempts, extracted_at)
      VALUES (${userId}, ${conversationId}, 'user', 'a message', now() - make_interval(secs => ${o.ageSeconds}), ${o.attempts ?? 0},
              ${o.extracted ? sql`now()` : null})`);
  }

  beforeEach(async () => {
    // The report spans every user and the job's records: each test starts from an empty database.
    await db().delete(users);
    await db().execute(sql`DELETE FROM job_leases`);
  });

  it('is ok on an empty database, with nothing pending and no nightly run yet', async () => {
    const report = await health();
    expect(report).toEqual({
      status: 'ok',
      database: { reachable: true, latencyMs: expect.any(Number) },
      extraction: { backlog: 0, oldestPendingAgeSeconds: null, gaveUp: 0 },
      nightly: { lastRunAt: null, lastOutcome: null },
    });
    expect(report.database.latencyMs).toBeLessThan(1000);
  });

  it('counts the turns waiting for extraction across users, and the age of the oldest', async () => {
    for (const ages of [[60, 3600], [30]]) {
      const userId = (await createAnonymousUser(db())).id;
      const conversation = await createConversation(db(), userId);
      for (const ageSeconds of ages) await turn(userId, conversation.id, { ageSeconds });
      await turn(userId, conversation.id, { ageSeconds: 90_000, extracted: true });
      await turn(userId, conversation.id, { ageSeconds: 200_000, attempts: defaultMemorySettings.maxExtractionAttempts });
    }
    const report = await health();
    expect(report.extraction).toEqual({ backlog: 3, oldestPendingAgeSeconds: expect.any(Number), gaveUp: 2 });
    expect(report.extraction.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(3600);
    expect(report.extraction.oldestPendingAgeSeconds).toBeLessThan(3700);
    // Turns the sweep gave up on are shown, but do not keep the report degraded for good.
    expect(report.status).toBe('ok');
  });

  it('is degraded when a turn has waited more than a day and a bit: the nightly sweep is not draining them', async () => {
    const userId = (await createAnonymousUser(db())).id;
    await turn(userId, (await createConversation(db(), userId)).id, { ageSeconds: 27 * 3600 });
    expect(await health()).toMatchObject({ status: 'degraded', extraction: { backlog: 1 } });
  });

  it('reports the last nightly run and how it ended; a failed one degrades it', async () => {
    const services = { store: store(), extract: scriptedExtract(), embedder: scriptedEmbedder(), settings: defaultMemorySettings };
    const before = Date.now();
    const summary = await recordNightlyRun(store(), () => runDecay(services, defaultDecayOptions));
    expect(summary.status).toBe('completed');
    const completed = await health();
    expect(completed).toMatchObject({ status: 'ok', nightly: { lastOutcome: 'completed' } });
    expect(Date.parse(completed.nightly.lastRunAt!)).toBeGreaterThanOrEqual(before - 5000);

    await expect(recordNightlyRun(store(), () => Promise.reject(new Error('the model is down')))).rejects.toThrow('the model is down');
    const failed = await health();
    expect(failed).toMatchObject({ status: 'degraded', nightly: { lastOutcome: 'failed' } });
    expect(Date.parse(failed.nightly.lastRunAt!)).toBeGreaterThanOrEqual(Date.parse(completed.nightly.lastRunAt!));

    // A dry run, or a run skipped for another's lease, did nothing: the failure stays the last run.
    await recordNightlyRun(store(), () => runDecay(services, { ...defaultDecayOptions, dryRun: true }));
    await recordNightlyRun(store(), async () => ({ status: 'skipped', reason: 'another run holds the lease' }));
    expect((await health()).nightly).toEqual(failed.nightly);
  });

  it('is down, within its time limit, when the database cannot be opened or never answers', async () => {
    const options = { ...defaultHealthOptions, timeoutMs: 300 };
    const down = {
      status: 'down',
      database: { reachable: false, latencyMs: null },
      extraction: { backlog: null, oldestPendingAgeSeconds: null, gaveUp: null },
      nightly: { lastRunAt: null, lastOutcome: null },
    };
    const refused = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const hanging = () => new Promise<Store>(() => {});
    for (const open of [refused, hanging]) {
      const started = performance.now();
      expect(await checkHealth(open, options)).toEqual(down);
      expect(performance.now() - started).toBeLessThan(options.timeoutMs + 500);
    }
  });

  it.runIf(engine === 'postgres')('is down in time when its reads hang on a lock, and frees its connection', async () => {
    const options = { ...defaultHealthOptions, timeoutMs: 300 };
    await db().transaction(async (tx) => {
      await tx.execute(sql`LOCK TABLE conversation_turns IN ACCESS EXCLUSIVE MODE`);
      const started = performance.now();
      expect((await health(options)).status).toBe('down');
      expect(performance.now() - started).toBeLessThan(options.timeoutMs + 500);
      // With the lock still held, the server has cancelled the hung read too (its statement_timeout).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const waiting = await selectRows(tx, sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      expect(waiting).toEqual([]);
    });
    expect((await health()).status).toBe('ok');
  });
});
