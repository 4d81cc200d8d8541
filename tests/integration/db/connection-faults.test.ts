/**
 * The app's connections cut under load (`pg_terminate_backend`, as a server restart or a failover
 * would): nothing escapes as an uncaughtException, a read-only unit is retried once and succeeds,
 * a unit that writes fails with ConnectionLostError (rolled back, never half done, never hung),
 * and the pool serves the next units on fresh connections.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPLICATION_NAME, openPostgres, type Database, type DatabaseHandle } from '@/lib/db/client';
import { ConnectionLostError } from '@/lib/db/errors';
import { selectRows } from '@/lib/db/rows';
import { createStore, type Store } from '@/lib/db/store';
import { testEngine } from '../engines';

const limits = { statementTimeoutMs: 5000, lockTimeoutMs: 2000, connectTimeoutMs: 2000, idleTimeoutMs: 10_000 };
const IN_FLIGHT_MS = 1500;

describe.runIf(testEngine === 'postgres')('connections cut under load', () => {
  const database = `engram_faults_${randomBytes(5).toString('hex')}`;
  let admin: pg.Client;
  let app: DatabaseHandle;
  let store: Store;
  const users = [randomUUID(), randomUUID(), randomUUID()];

  const escaped: unknown[] = [];
  const record = (error: unknown) => escaped.push(error);

  beforeAll(async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    url.pathname = `/${database}`;
    app = await openPostgres(url.toString(), 10, limits);
    store = createStore(app);
    await app.db.execute(sql`CREATE TABLE counters (user_id uuid PRIMARY KEY, n int NOT NULL)`);
    for (const user of users) await app.db.execute(sql`INSERT INTO counters VALUES (${user}, 0)`);
  });
  afterAll(async () => {
    await app?.close();
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });
  beforeEach(() => {
    escaped.length = 0;
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
  });
  afterEach(() => {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
  });

  const counter = async (tx: Database, user: string) =>
    (await selectRows<{ n: number }>(tx, sql`SELECT n FROM counters WHERE user_id = ${user}`))[0]!.n;

  /** The app's backends in the test database that are inside a unit of work. */
  const busyBackends = async () =>
    (
      await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND application_name = $2 AND state IN ('active', 'idle in transaction')`,
        [database, APPLICATION_NAME],
      )
    ).rows[0]!.n;

  it('retries reads, fails writes cleanly, lets nothing escape, and recovers', async () => {
    const attempts = new Map<string, number>();
    const attempt = (key: string) => {
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      return n;
    };
    // Per user, the connection is cut in the two places a unit can be: inside a statement, and
    // between two statements (the server's notice then arrives with no query to fail).
    const units = users.flatMap((user) => [
      store.readAsUser(user, async (tx) => {
        if (attempt(`read-in-statement ${user}`) === 1) await tx.execute(sql`SELECT pg_sleep(${IN_FLIGHT_MS / 1000})`);
        return counter(tx, user);
      }),
      store.readAsUser(user, async (tx) => {
        const first = await counter(tx, user);
        if (attempt(`read-between ${user}`) === 1) await sleep(IN_FLIGHT_MS);
        return first + (await counter(tx, user));
      }),
      store.asUser(user, async (tx) => {
        attempt(`write ${user}`);
        await tx.execute(sql`UPDATE counters SET n = n + 1 WHERE user_id = ${user}`);
        await sleep(IN_FLIGHT_MS);
        await tx.execute(sql`UPDATE counters SET n = n + 1 WHERE user_id = ${user}`);
      }),
    ]);
    const started = performance.now();
    // Every unit in flight, and each read-between past its first statement (cut before it, that
    // unit's retry would be its first attempt to get that far).
    const ready = async () => (await busyBackends()) >= units.length && users.every((user) => attempts.has(`read-between ${user}`));
    for (let waited = 0; !(await ready()); waited += 20) {
      expect(waited, 'every unit in flight').toBeLessThan(1000);
      await sleep(20);
    }
    // The pids first, in a statement of their own: in one WHERE the planner may call
    // pg_terminate_backend on every backend of the server before filtering.
    const { rows: backends } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`,
      [database, APPLICATION_NAME],
    );
    const { rows: killed } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM unnest($1::int[]) AS pid', [
      backends.map((b) => b.pid),
    ]);
    expect(killed.filter((k) => k.ok).length).toBeGreaterThanOrEqual(units.length);

    const results = await Promise.allSettled(units);
    const elapsed = performance.now() - started;
    results.forEach((result, i) => {
      const kind = ['read in a statement', 'read between statements', 'write'][i % 3];
      if (kind === 'write') {
        expect(result.status, kind).toBe('rejected');
        expect((result as PromiseRejectedResult).reason, kind).toBeInstanceOf(ConnectionLostError);
      } else {
        expect(result, kind).toEqual({ status: 'fulfilled', value: 0 });
      }
    });
    for (const user of users) {
      expect(attempts.get(`read-in-statement ${user}`)).toBe(2);
      expect(attempts.get(`read-between ${user}`)).toBe(2);
      expect(attempts.get(`write ${user}`)).toBe(1);
    }
    // Nothing waited for a time-out: the retries ran as soon as the connections dropped.
    expect(elapsed).toBeLessThan(IN_FLIGHT_MS + 1500);
    // The cut writes were rolled back whole.
    expect(await selectRows(app.db, sql`SELECT n FROM counters WHERE n <> 0`)).toEqual([]);

    // Fresh connections serve the next units, reads and writes alike.
    await Promise.all(users.map((user) => store.asUser(user, (tx) => tx.execute(sql`UPDATE counters SET n = n + 1 WHERE user_id = ${user}`))));
    expect(await Promise.all(users.map((user) => store.readAsUser(user, (tx) => counter(tx, user))))).toEqual([1, 1, 1]);

    // Late 'error' events of the dead connections included.
    await sleep(100);
    expect(escaped.map(String)).toEqual([]);
  });
});
