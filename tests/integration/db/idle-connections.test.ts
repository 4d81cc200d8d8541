/**
 * A pause does not cost the next turn a new connection: after a burst, the pool closes the
 * connections it opened beyond a third of its size once they idle past the time-out, and keeps
 * that third open however long it idles, the same PostgreSQL processes, their caches and
 * prepared statements warm.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type DatabaseHandle } from '@/lib/db/client';
import { selectRows } from '@/lib/db/rows';
import { testEngine } from '../engines';

const POOL_MAX = 6;
const IDLE_MS = 300;

describe.runIf(testEngine === 'postgres')("the pool's idle connections", () => {
  let app: DatabaseHandle;
  let admin: pg.Client;
  const applicationName = `engram_idle_${process.pid}`;

  beforeAll(async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    url.searchParams.set('application_name', applicationName);
    app = await openPostgres(url.toString(), POOL_MAX, { statementTimeoutMs: 5000, lockTimeoutMs: 2000, connectTimeoutMs: 2000, idleTimeoutMs: IDLE_MS });
  });
  afterAll(async () => {
    await app?.close();
    await admin?.end();
  });

  const backends = async () =>
    (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid', [applicationName])).rows.map((r) => r.pid);

  /** The PostgreSQL process of one unit of work. */
  const unitBackend = () =>
    app.transaction!([], false, async (db) => (await selectRows<{ pid: number }>(db, sql`SELECT pg_backend_pid() AS pid, pg_sleep(0.05)`))[0]!.pid);

  it('keeps a third of the pool open past the idle time-out, and closes the rest', async () => {
    const burst = await Promise.all(Array.from({ length: POOL_MAX }, unitBackend));
    expect(new Set(burst).size).toBe(POOL_MAX);
    expect(await backends()).toHaveLength(POOL_MAX);

    await sleep(IDLE_MS * 4);
    const kept = await backends();
    expect(kept).toHaveLength(POOL_MAX / 3);
    // The next unit runs on a process that was already open: no new connection, nothing to warm.
    expect(kept).toContain(await unitBackend());
    expect(await backends()).toEqual(kept);
  });
});
