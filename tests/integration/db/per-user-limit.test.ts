/**
 * One user's stuck requests cannot take the whole pool: with that user's row locked elsewhere,
 * twelve of their units at once hold at most a third of the pool, the rest wait their turn and
 * give up with UserBusyError, and every other user's units run as if nothing happened.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type DatabaseHandle } from '@/lib/db/client';
import { UserBusyError } from '@/lib/db/errors';
import { createStore, type Store } from '@/lib/db/store';
import { testEngine } from '../engines';

const limits = { statementTimeoutMs: 5000, lockTimeoutMs: 2000, connectTimeoutMs: 1000, idleTimeoutMs: 10_000 };
const POOL_MAX = 10;

describe.runIf(testEngine === 'postgres')("one user's stuck requests", () => {
  let app: DatabaseHandle;
  let other: pg.Client;
  const table = `engram_per_user_${process.pid}`;
  const stuck = randomUUID();
  const others = Array.from({ length: 10 }, () => randomUUID());

  beforeAll(async () => {
    const url = process.env.TEST_DATABASE_URL!;
    other = new pg.Client({ connectionString: url });
    await other.connect();
    await other.query(`CREATE TABLE ${table} (user_id uuid PRIMARY KEY, n int NOT NULL)`);
    await other.query(`INSERT INTO ${table} SELECT unnest($1::uuid[]), 0`, [[stuck, ...others]]);
    app = await openPostgres(url, POOL_MAX, limits);
  });
  afterAll(async () => {
    await app?.close();
    await other?.query(`DROP TABLE IF EXISTS ${table}`);
    await other?.end();
  });

  const bump = (store: Store, user: string) =>
    store.asUser(user, (tx) => tx.execute(sql.raw(`UPDATE ${table} SET n = n + 1 WHERE user_id = '${user}'`)));

  /** Twelve units of the stuck user on a locked row, then one unit of each other user: how each ended, and when. */
  async function underLock(store: Store) {
    await other.query('BEGIN');
    await other.query(`SELECT 1 FROM ${table} WHERE user_id = $1 FOR UPDATE`, [stuck]);
    try {
      const started = performance.now();
      const timed = (work: Promise<unknown>) =>
        work.then(
          () => ({ ok: true as const, ms: performance.now() - started }),
          (error: unknown) => ({ ok: false as const, error, ms: performance.now() - started }),
        );
      const stuckUnits = Array.from({ length: 12 }, () => timed(bump(store, stuck)));
      await sleep(100);
      const launched = performance.now() - started;
      const otherUnits = others.map((user) => timed(bump(store, user)));
      return { stuck: await Promise.all(stuckUnits), others: (await Promise.all(otherUnits)).map((r) => ({ ...r, ms: r.ms - launched })) };
    } finally {
      await other.query('ROLLBACK');
    }
  }

  it('hold a third of the pool at most, and other users are not delayed', async () => {
    const store = createStore(app);
    expect(app.unitsPerUser).toEqual({ max: Math.ceil(POOL_MAX / 3), waitMs: limits.connectTimeoutMs });
    const { stuck: stuckResults, others: otherResults } = await underLock(store);

    for (const result of otherResults) {
      expect(result.ok).toBe(true);
      expect(result.ms).toBeLessThan(500);
    }
    // Four ran into the lock time-out; the eight waiting behind them gave up first.
    const messages = stuckResults.map((r) => (r.ok ? 'ok' : r.error instanceof UserBusyError ? 'busy' : String((r.error as Error).cause)));
    expect(messages.filter((m) => m === 'busy')).toHaveLength(8);
    expect(messages.filter((m) => /lock timeout/.test(m))).toHaveLength(4);
    // lock_timeout bounds each lock wait: behind another waiter, one waits for the row's tuple lock, then for the holder.
    for (const result of stuckResults) expect(result.ms).toBeLessThan(2 * limits.lockTimeoutMs + 1000);

    // Once the lock is gone the stuck user's units run again.
    await bump(store, stuck);
    const rows = await other.query<{ n: number }>(`SELECT n FROM ${table} WHERE user_id = $1`, [stuck]);
    expect(rows.rows[0]!.n).toBe(1);
  });

  it('without the cap, the same load makes every other user wait for the pool', async () => {
    const { others: otherResults } = await underLock(createStore({ db: app.db, engine: app.engine }));
    // Ten connections held by the stuck user: the others time out waiting for one, or wait for
    // the stuck units' lock time-outs to free them.
    const slowest = Math.max(...otherResults.map((r) => r.ms));
    expect(slowest).toBeGreaterThan(limits.connectTimeoutMs - 100);
  });
});
