/**
 * selectPreparedRows: in a server unit of work, a named statement the connection parses once
 * and runs again on its generic plan; on PGlite, and outside a unit, the plain query. Either way
 * the same rows.
 */
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { selectPreparedRows, selectRows } from '@/lib/db/rows';
import { createAnonymousUser } from '@/lib/db/queries';
import { describeOnEngine } from '../engines';

describeOnEngine('prepared statements', (db, engine, store) => {
  it('answers as the plain query, keeps a statement per text, and runs it again by name', async () => {
    const userId = (await createAnonymousUser(db())).id;
    const read = (text: string) => sql`SELECT id, ${text}::text AS said FROM users WHERE id = ${userId}`;
    // Two texts under one name (as two embedders' widths would make): two statements.
    const widths = [sql`SELECT 3 AS width`, sql`SELECT 1024 AS width`];
    const { rows, again, prepared } = await store().asUser(userId, async (tx) => {
      const rows = [await selectPreparedRows(tx, 'read_user', read('first')), await selectPreparedRows(tx, 'read_user', read('second'))];
      const again = await Promise.all(widths.map((w) => selectPreparedRows<{ width: number }>(tx, 'width', w)));
      const prepared = await selectRows<{ name: string }>(tx, sql`SELECT name FROM pg_prepared_statements ORDER BY name`);
      return { rows, again, prepared: prepared.map((p) => p.name) };
    });
    expect(rows).toEqual([[{ id: userId, said: 'first' }], [{ id: userId, said: 'second' }]]);
    expect(again).toEqual([[{ width: 3 }], [{ width: 1024 }]]);
    if (engine === 'postgres') {
      // Parameters do not change the text: one statement for both reads, and one per width.
      expect(prepared.filter((name) => name.startsWith('read_user_'))).toHaveLength(1);
      expect(prepared.filter((name) => name.startsWith('width_'))).toHaveLength(2);
    } else {
      expect(prepared).toEqual([]);
    }
    // Outside a unit of work: the plain query.
    expect(await selectPreparedRows(db(), 'read_user', read('outside'))).toEqual([{ id: userId, said: 'outside' }]);
  });

  // PGlite runs the plain query (nothing to plan once in process).
  it.skipIf(engine !== 'postgres')('plans a named statement once, generically, and leaves the unit\'s other statements to the default', async () => {
    const userId = (await createAnonymousUser(db())).id;
    // Left to PostgreSQL, the first five runs on a connection would each be planned for their values.
    const read = sql`SELECT id FROM users WHERE id = ${userId}`;
    const { plans, mode } = await store().asUser(userId, async (tx) => {
      for (let i = 0; i < 3; i++) expect(await selectPreparedRows(tx, 'plan_once', read)).toEqual([{ id: userId }]);
      const plans = await selectRows<{ generic: number; custom: number }>(
        tx,
        sql`SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE name LIKE 'plan_once_%'`,
      );
      const [setting] = await selectRows<{ mode: string }>(tx, sql`SELECT current_setting('plan_cache_mode') AS mode`);
      return { plans, mode: setting?.mode };
    });
    expect(plans).toEqual([{ generic: 3, custom: 0 }]);
    expect(mode).toBe('auto');
  });
});
