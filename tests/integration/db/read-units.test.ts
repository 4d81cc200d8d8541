/**
 * A read-only unit (store.readAsUser) sees what asUser sees, and refuses to write: the retry after
 * a lost connection (connection-faults.test.ts) can then never write twice.
 */
import { beforeAll, expect, it } from 'vitest';
import { createAnonymousUser, createConversation, listConversations } from '@/lib/db/queries';
import { describeOnEngine } from '../engines';

describeOnEngine('read-only units', (db, engine, store) => {
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    alice = (await createAnonymousUser(db())).id;
    bob = (await createAnonymousUser(db())).id;
    await createConversation(db(), alice, 'Alice reads');
  });

  it("see the user's rows only", async () => {
    expect((await store().readAsUser(alice, (tx) => listConversations(tx, alice))).map((c) => c.title)).toEqual(['Alice reads']);
    // Row-level security under the query's own filter; on PGlite the tests' units run as the tables' owner, which it does not bind.
    if (engine === 'postgres') expect(await store().readAsUser(bob, (tx) => listConversations(tx, alice))).toEqual([]);
  });

  it('refuse a write, and do not retry it', async () => {
    let runs = 0;
    const error: unknown = await store()
      .readAsUser(alice, async (tx) => {
        runs += 1;
        await createConversation(tx, alice, 'never stored');
      })
      .catch((e: unknown) => e);
    expect((error as Error).cause).toMatchObject({ code: '25006' }); // read_only_sql_transaction
    expect(runs).toBe(1);
    expect(await store().asUser(alice, (tx) => listConversations(tx, alice))).toHaveLength(1);
  });
});
