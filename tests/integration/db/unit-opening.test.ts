/**
 * A unit's opening (BEGIN, READ ONLY or not, and whose unit it is) binds its first statement,
 * which on a server carries it, and a unit of one statement commits with it
 * (lib/db/unit-connection.ts), as does a statement the work says is its last (commitWithNext): whatever that statement's shape, and whether it succeeds or fails,
 * the unit and the units after it on the same connection see what they should.
 */
import { beforeAll, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import { createAnonymousUser, createConversation, listConversations } from '@/lib/db/queries';
import { selectRows, selectPreparedRows } from '@/lib/db/rows';
import { commitWithNext, type Database } from '@/lib/db/client';
import { ASYNCHRONOUS_COMMIT, ONE_STATEMENT, ONE_STATEMENT_ASYNCHRONOUS } from '@/lib/db/store';
import { describeOnEngine } from '../engines';

/** Statements without parameters: what the unit's opening set, read back. */
const setting = (tx: Database) =>
  selectRows<{ who: string; readOnly: string }>(
    tx,
    sql`SELECT current_setting('app.user_id') AS who, current_setting('transaction_read_only') AS "readOnly"`,
  ).then((rows) => rows[0]);

describeOnEngine("a unit's opening", (db, engine, store) => {
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    alice = (await createAnonymousUser(db())).id;
    bob = (await createAnonymousUser(db())).id;
  });

  it('binds a first statement without parameters, read-only or not', async () => {
    expect(await store().readAsUser(alice, setting)).toEqual({ who: alice, readOnly: 'on' });
    expect(await store().asUser(bob, setting)).toEqual({ who: bob, readOnly: 'off' });
  });

  it('binds first statements sent at once, and a named prepared one run again and again', async () => {
    const both = await store().readAsUser(alice, (tx) => Promise.all([setting(tx), listConversations(tx, alice)]));
    expect(both[0]).toEqual({ who: alice, readOnly: 'on' });
    for (const user of [alice, bob, alice, bob, alice, bob, alice, bob]) {
      const rows = await store().readAsUser(user, (tx) =>
        selectPreparedRows<{ who: string }>(tx, 'unit_opening_who', sql`SELECT current_setting('app.user_id') AS who, ${user}::text AS asked`),
      );
      expect(rows).toEqual([{ who: user, asked: user }]);
    }
  });

  it('runs nothing for a unit that sends nothing', async () => {
    expect(await store().asUser(alice, async () => 'no statement')).toBe('no statement');
    expect(await store().readAsUser(bob, setting)).toEqual({ who: bob, readOnly: 'on' });
  });

  it('fails with its first statement, keeps nothing, and leaves its connection to the next unit', async () => {
    const error: unknown = await store()
      .asUser(alice, (tx) => selectRows(tx, sql`SELECT 1 / 0 AS never`))
      .catch((e: unknown) => e);
    expect((error as Error & { cause?: unknown }).cause ?? error).toMatchObject({ code: '22012' }); // division_by_zero
    await expect(
      store().asUser(alice, async (tx) => {
        await createConversation(tx, alice, 'rolled back');
        throw new Error('after the first statement');
      }),
    ).rejects.toThrow('after the first statement');
    // Each of the pool's connections, in turn: none is left in a transaction or as someone else.
    for (const user of [bob, alice, bob, alice, bob, alice]) {
      expect(await store().asUser(user, setting)).toEqual({ who: user, readOnly: 'off' });
    }
    expect(await store().readAsUser(alice, (tx) => listConversations(tx, alice))).toEqual([]);
  });

  it('commits a unit asynchronously when asked, that unit only, and keeps what it wrote', async () => {
    const synchronousCommit = (tx: Database) =>
      selectRows<{ value: string }>(tx, sql`SELECT current_setting('synchronous_commit') AS value`).then((rows) => rows[0]!.value);
    expect(await store().asUser(alice, synchronousCommit, ASYNCHRONOUS_COMMIT)).toBe('off');
    expect(await store().asUser(alice, synchronousCommit, ONE_STATEMENT_ASYNCHRONOUS)).toBe('off');
    const dave = (await createAnonymousUser(db())).id;
    const stored = await store().asUser(dave, (tx) => createConversation(tx, dave, 'asynchronous'), ASYNCHRONOUS_COMMIT);
    // Each of the pool's connections, in turn: the setting ended with its transaction.
    for (const user of [alice, bob, alice, bob, alice, bob]) {
      expect(await store().asUser(user, synchronousCommit)).toBe('on');
      expect(await store().readAsUser(user, synchronousCommit, ONE_STATEMENT)).toBe('on');
    }
    expect(await store().readAsUser(dave, (tx) => listConversations(tx, dave))).toEqual([expect.objectContaining({ id: stored.id, title: 'asynchronous' })]);
  });

  it('commits a unit of one statement with it, and refuses a second statement there', async () => {
    expect(await store().readAsUser(alice, setting, { oneStatement: true })).toEqual({ who: alice, readOnly: 'on' });
    const stored = await store().asUser(bob, (tx) => createConversation(tx, bob, 'one statement'), { oneStatement: true });
    expect(await store().readAsUser(bob, (tx) => listConversations(tx, bob))).toEqual([expect.objectContaining({ id: stored.id, title: 'one statement' })]);
    // On PGlite a unit is Drizzle's own transaction, for which the shape changes nothing.
    if (engine === 'postgres') {
      await expect(
        store().readAsUser(alice, async (tx) => [await setting(tx), await setting(tx)], { oneStatement: true }),
      ).rejects.toMatchObject({ cause: { message: 'A unit sent a statement after the one its COMMIT went with.' } });
    }
  });

  it('rolls back a unit of one statement that fails, even when its work swallows the failure', async () => {
    const failing = (tx: Database) => selectRows(tx, sql`SELECT 1 / 0 AS never`);
    await expect(store().asUser(alice, failing, { oneStatement: true })).rejects.toMatchObject({ cause: { code: '22012' } });
    expect(await store().asUser(alice, (tx) => failing(tx).catch(() => 'swallowed'), { oneStatement: true })).toBe('swallowed');
    for (const user of [bob, alice, bob, alice, bob, alice]) {
      expect(await store().asUser(user, setting, { oneStatement: true })).toEqual({ who: user, readOnly: 'off' });
    }
  });

  it('commits with the statement the work says is its last, and keeps nothing when that statement fails', async () => {
    const titles = async (user: string) => (await store().readAsUser(user, (tx) => listConversations(tx, user))).map((c) => c.title).sort();
    const carol = (await createAnonymousUser(db())).id;
    const two = await store().asUser(carol, async (tx) => {
      await createConversation(tx, carol, 'first of two');
      commitWithNext(tx);
      return createConversation(tx, carol, 'last of two');
    });
    expect(two.title).toBe('last of two');
    expect(await titles(carol)).toEqual(['first of two', 'last of two']);

    // The last statement fails: its COMMIT is skipped and the unit rolls back, the first statement too.
    await expect(
      store().asUser(carol, async (tx) => {
        await createConversation(tx, carol, 'rolled back with the last');
        commitWithNext(tx);
        return selectRows(tx, sql`SELECT 1 / 0 AS never`);
      }),
    ).rejects.toMatchObject({ cause: { code: '22012' } });
    // Said but never followed by a statement: the unit commits as usual.
    await store().asUser(carol, async (tx) => {
      await createConversation(tx, carol, 'committed at the end');
      commitWithNext(tx);
    });
    // The work fails after its last statement: the error is the work's. On a server what it sent
    // had committed and stays (so work must not fail there counting on a rollback); on PGlite the
    // unit is Drizzle's transaction, which rolls back.
    await expect(
      store().asUser(carol, async (tx) => {
        commitWithNext(tx);
        await createConversation(tx, carol, 'committed before the failure');
        throw new Error('after the commit');
      }),
    ).rejects.toThrow('after the commit');
    const kept = engine === 'postgres' ? ['committed before the failure'] : [];
    expect(await titles(carol)).toEqual(['committed at the end', ...kept, 'first of two', 'last of two'].sort());
    if (engine === 'postgres') {
      await expect(
        store().asUser(carol, async (tx) => {
          commitWithNext(tx);
          await setting(tx);
          return setting(tx);
        }),
      ).rejects.toMatchObject({ cause: { message: 'A unit sent a statement after the one its COMMIT went with.' } });
    }
    for (const user of [bob, carol, alice, carol, bob, carol]) {
      expect(await store().asUser(user, setting)).toEqual({ who: user, readOnly: 'off' });
    }
  });

  it('is found by another copy of the module, as Next.js bundles one per layer', async () => {
    // The route handlers' copy of lib/db/client.ts is not the one that opened the pool.
    vi.resetModules();
    const copy = await import('@/lib/db/client');
    const carol = (await createAnonymousUser(db())).id;
    const found = await store().asUser(carol, async (tx) => {
      const connection = copy.unitConnection(tx);
      await createConversation(tx, carol, 'first');
      copy.commitWithNext(tx);
      await createConversation(tx, carol, 'last');
      return connection !== undefined;
    });
    expect(found).toBe(engine === 'postgres');
    expect((await store().readAsUser(carol, (tx) => listConversations(tx, carol))).map((c) => c.title).sort()).toEqual(['first', 'last']);
  });
});
