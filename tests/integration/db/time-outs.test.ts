/**
 * The app's connections to a PostgreSQL server give up instead of waiting forever: a slow
 * statement, a row another connection holds locked, a pool with no free connection. One user's
 * stuck request then fails alone, and everyone else's work goes on.
 */
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type DatabaseHandle } from '@/lib/db/client';
import { selectRows } from '@/lib/db/rows';
import { testEngine } from '../engines';

const limits = { statementTimeoutMs: 500, lockTimeoutMs: 300, connectTimeoutMs: 300, idleTimeoutMs: 10_000 };

/** How long `work` took to fail, and with what. */
async function failure(work: Promise<unknown>): Promise<{ ms: number; message: string }> {
  const started = performance.now();
  try {
    await work;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return { ms: performance.now() - started, message: `${(error as Error).message} ${cause instanceof Error ? cause.message : ''}` };
  }
  throw new Error('expected the work to fail');
}

describe.runIf(testEngine === 'postgres')('database time-outs', () => {
  let app: DatabaseHandle;
  let other: pg.Client;
  const table = `engram_timeouts_${process.pid}`;

  beforeAll(async () => {
    const url = process.env.TEST_DATABASE_URL!;
    other = new pg.Client({ connectionString: url });
    await other.connect();
    await other.query(`CREATE TABLE ${table} (id int PRIMARY KEY, n int NOT NULL)`);
    await other.query(`INSERT INTO ${table} VALUES (1, 0), (2, 0)`);
    app = await openPostgres(url, 2, limits);
  });
  afterAll(async () => {
    await app?.close();
    await other?.query(`DROP TABLE IF EXISTS ${table}`);
    await other?.end();
  });

  it('cancels a statement that runs past the statement time-out', async () => {
    const { ms, message } = await failure(app.db.execute(sql`SELECT pg_sleep(5)`));
    expect(message).toMatch(/statement timeout/);
    expect(ms).toBeLessThan(3000);
  });

  it('gives up on a row another connection holds locked, while other rows stay writable', async () => {
    await other.query('BEGIN');
    await other.query(`UPDATE ${table} SET n = n + 1 WHERE id = 1`);
    try {
      const { ms, message } = await failure(app.db.execute(sql.raw(`UPDATE ${table} SET n = n + 1 WHERE id = 1`)));
      expect(message).toMatch(/lock timeout/);
      expect(ms).toBeLessThan(3000);
      await app.db.execute(sql.raw(`UPDATE ${table} SET n = n + 1 WHERE id = 2`));
    } finally {
      await other.query('ROLLBACK');
    }
    const rows = await selectRows<{ id: number; n: number }>(app.db, sql.raw(`SELECT id, n FROM ${table} ORDER BY id`));
    expect(rows).toEqual([{ id: 1, n: 0 }, { id: 2, n: 1 }]);
  });

  it('stops waiting for a pooled connection when every one is busy', async () => {
    // Both of the pool's connections held by long transactions of a stuck request.
    // (Drizzle runs a query when it is awaited: Promise.resolve starts these two first.)
    const held = [1, 2].map(() => Promise.resolve(app.db.execute(sql`SELECT pg_sleep(0.45)`)));
    const { ms, message } = await failure(app.db.execute(sql`SELECT 1`));
    expect(message).toMatch(/timeout exceeded when trying to connect/);
    expect(ms).toBeLessThan(3000);
    await Promise.all(held);
    // The pool recovers once they finish.
    expect(await selectRows<{ one: number }>(app.db, sql`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
  });
});
