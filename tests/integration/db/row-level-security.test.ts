/**
 * Row-level security, on a PostgreSQL server, as the app connects in production: a role that is
 * neither a superuser nor BYPASSRLS. A unit of work sees only its user's rows, even through a
 * query that forgets its user filter; outside a unit nothing is seen; a whole chat turn and a
 * guest's move into an account work under it. The users table too: a unit sees its own user row,
 * no other user's email or password hash, and the merges it is a party to.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCredentials, createAccount } from '@/lib/auth/accounts';
import { standingOf } from '@/lib/auth/guest-data';
import { assertUnprivilegedRole } from '@/lib/db/app-role';
import { selectRows } from '@/lib/db/rows';
import { createAnonymousUser } from '@/lib/db/queries';
import { accountMerges, conversations, userFacts, users } from '@/lib/db/schema';
import { deleteAccount, exportUserData } from '@/lib/db/user-data';
import { parseEnv } from '@/lib/env';
import { mergeGuestIntoAccount, moveGuestData } from '@/lib/memory/merge';
import { defaultWriteFactsOptions } from '@/lib/memory/write-facts';
import { hashedEmbedder } from '@/lib/ai/offline/hashed-embedder';
import { chatDeps, chatTurn } from '../../helpers/chat';
import { openTestStore, testEngine, type TestDatabase } from '../engines';

describe.runIf(testEngine === 'postgres')('row-level security on a PostgreSQL server', () => {
  let t: TestDatabase;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await openTestStore('postgres');
    alice = (await t.store.asSystem((tx) => createAnonymousUser(tx))).id;
    bob = (await t.store.asSystem((tx) => createAnonymousUser(tx))).id;
  });

  afterAll(async () => {
    await t?.close();
  });

  const deps = () => chatDeps(t.store);
  const mergeRules = { model: hashedEmbedder.model, ...defaultWriteFactsOptions };

  const chat = async (userId: string, message: string) =>
    (await chatTurn(deps(), { id: userId, memoryEnabled: true }, { message })).turn.conversation.id;

  it('connects as a role that row-level security binds', async () => {
    const [me] = await t.store.asSystem((tx) =>
      selectRows<{ privileged: boolean }>(tx, sql`SELECT rolsuper OR rolbypassrls AS privileged FROM pg_roles WHERE rolname = current_user`),
    );
    expect(me).toEqual({ privileged: false });
  });

  it('lets the app start in production only as such a role, unless told otherwise', async () => {
    const production = parseEnv({ NODE_ENV: 'production', DATABASE_URL: process.env.TEST_DATABASE_URL, AUTH_SECRET: 'x'.repeat(32) });
    // The owner connection of these tests is the server's superuser.
    await expect(assertUnprivilegedRole(t.db, production)).rejects.toThrow(/a superuser\. Row-level security.*ALLOW_PRIVILEGED_DATABASE_ROLE=true/s);
    await expect(assertUnprivilegedRole(t.app, production)).resolves.toBeUndefined();
    await expect(assertUnprivilegedRole(t.db, { ...production, ALLOW_PRIVILEGED_DATABASE_ROLE: true })).resolves.toBeUndefined();
    await expect(assertUnprivilegedRole(t.db, { ...production, NODE_ENV: 'development' })).resolves.toBeUndefined();
  });

  it('runs a whole chat turn, memory included, as the user', async () => {
    await chat(alice, 'I live in Lyon.');
    await chat(bob, 'I live in Porto.');
    const facts = await t.store.asUser(alice, (tx) => tx.select().from(userFacts));
    expect(facts.map((f) => f.factText)).toEqual(['Lives in Lyon']);
  });

  it('shows a query with no user filter only the unit’s user’s rows', async () => {
    const everyone = async (tx: typeof t.db) => (await tx.select().from(conversations)).map((c) => c.userId);
    expect(await t.store.asUser(alice, everyone)).toEqual([alice]);
    expect(await t.store.asUser(bob, everyone)).toEqual([bob]);
    expect((await t.store.asSystem(everyone)).sort()).toEqual([alice, bob].sort());
  });

  it('leaves no user on a pooled connection once a unit ends, so a stray query sees nothing', async () => {
    // The pool under the store has 4 connections: use them all as Alice, then read outside a unit.
    await Promise.all(Array.from({ length: 8 }, () => t.store.asUser(alice, (tx) => tx.select().from(conversations))));
    const outside = await Promise.all(
      Array.from({ length: 8 }, async () => ({
        who: (await selectRows<{ who: string | null }>(t.app, sql`SELECT current_setting('app.user_id', true) AS who`))[0]!.who,
        rows: (await t.app.select().from(conversations)).length,
      })),
    );
    for (const seen of outside) expect(seen).toEqual({ who: expect.toSatisfy((w: string | null) => !w), rows: 0 });
  });

  it('shows a connection whose setting names no user (or names one in capitals) that user only, or nothing', async () => {
    // Below the store, which refuses such ids itself: the policies' own reading of the setting.
    const seenWith = (setting: string) =>
      t.app.transaction(async (tx) => {
        await tx.execute(sql`SELECT set_config('app.user_id', ${setting}, true)`);
        return (await tx.select().from(conversations)).map((c) => c.userId);
      });
    for (const setting of ['', 'nobody', `${alice} `, `${alice}' OR true --`, 'SYSTEM', alice.slice(0, -1)]) expect(await seenWith(setting)).toEqual([]);
    expect(await seenWith(alice.toUpperCase())).toEqual([alice]);
  });

  it('refuses a user id that is not one, so nothing runs as the system by mistake', async () => {
    await expect(t.store.asUser('system', (tx) => tx.select().from(conversations))).rejects.toThrow(/Not a user id/);
    await expect(t.store.asUser('', (tx) => tx.select().from(conversations))).rejects.toThrow(/Not a user id/);
  });

  it("refuses to write a row into another user's data", async () => {
    await expect(t.store.asUser(alice, (tx) => tx.insert(conversations).values({ userId: bob, title: 'planted' }))).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/row-level security/) },
    });
  });

  it('moves every conversation, turn, fact and embedding of a guest into a new account', async () => {
    const guest = (await t.store.asSystem((tx) => createAnonymousUser(tx))).id;
    await chat(guest, "I'm allergic to peanuts.");
    const second = await chat(guest, 'I work as a nurse.');
    await chat(guest, 'I prefer short answers.');
    const created = await createAccount(t.store, `rls-${guest}@example.com`, 'a good long password');
    if (!created.ok) throw new Error(created.error);
    const account = created.user.id;

    const counts = (userId: string) =>
      selectRows<Record<string, number>>(
        t.db,
        sql`SELECT (SELECT count(*)::int FROM conversations WHERE user_id = ${userId}) AS conversations,
                   (SELECT count(*)::int FROM conversation_turns WHERE user_id = ${userId}) AS conversation_turns,
                   (SELECT count(*)::int FROM user_facts WHERE user_id = ${userId}) AS user_facts,
                   (SELECT count(*)::int FROM fact_embeddings WHERE user_id = ${userId}) AS fact_embeddings,
                   (SELECT count(*)::int FROM episode_embeddings WHERE user_id = ${userId}) AS episode_embeddings,
                   (SELECT count(*)::int FROM episode_words WHERE user_id = ${userId}) AS episode_words`,
      ).then(([row]) => row!);
    const before = await counts(guest);
    // Each chat() starts a conversation of its own: three, with a question and an answer each.
    // …and each question learned as an episode.
    expect(before).toMatchObject({ conversations: 3, conversation_turns: 6, episode_embeddings: 3 });
    expect(before.episode_words).toBeGreaterThanOrEqual(6);
    expect(before.user_facts).toBeGreaterThanOrEqual(3);

    const result = await mergeGuestIntoAccount(t.store, guest, account, mergeRules);
    expect(result).toEqual({ status: 'merged', rowsMoved: before, factsResolved: 0 });
    expect(await counts(account)).toEqual(before);
    expect(await counts(guest)).toEqual({ conversations: 0, conversation_turns: 0, user_facts: 0, fact_embeddings: 0, episode_embeddings: 0, episode_words: 0 });
    // And the account sees them as itself.
    const mine = await t.store.asUser(account, (tx) => tx.select().from(conversations));
    expect(mine.map((c) => c.id)).toContain(second);
  });

  it('never deletes a guest from a unit that cannot see all of its rows', async () => {
    const guest = (await t.store.asSystem((tx) => createAnonymousUser(tx))).id;
    await chat(guest, "I'm allergic to peanuts.");
    // Inside a user's unit the guest's rows could be hidden from the move yet not from the cascade.
    await expect(t.store.asUser(guest, (tx) => moveGuestData(tx, guest, alice, mergeRules))).rejects.toThrow(/system unit/);
    const [left] = await selectRows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM conversation_turns WHERE user_id = ${guest}`);
    expect(left!.n).toBe(2);
  });

  describe('users and merges', () => {
    let ann: string;
    let ben: string;
    const PASSWORD = 'a good long password';
    const account = async (email: string) => {
      const created = await createAccount(t.store, email, PASSWORD);
      if (!created.ok) throw new Error(created.error);
      return created.user.id;
    };

    beforeAll(async () => {
      ann = await account('ann@example.com');
      ben = await account('ben@example.com');
    });

    it('shows a unit its own user row only: no other user, no other password hash', async () => {
      const seen = (userId: string) =>
        t.store.asUser(userId, (tx) =>
          selectRows<{ id: string; hashes: number }>(
            tx,
            sql`SELECT id, (SELECT count(*)::int FROM users WHERE password_hash IS NOT NULL) AS hashes FROM users`,
          ),
        );
      expect(await seen(ann)).toEqual([{ id: ann, hashes: 1 }]);
      // A guest, with no hash of its own, sees none.
      expect(await seen(alice)).toEqual([{ id: alice, hashes: 0 }]);
      // Looked up by id or by email, another user is not there.
      expect(await t.store.asUser(ann, (tx) => tx.select().from(users).where(eq(users.id, ben)))).toEqual([]);
      expect(await t.store.asUser(ann, (tx) => tx.select().from(users).where(eq(users.email, 'ben@example.com')))).toEqual([]);
      // The system (sign-in by email) sees everyone.
      expect((await checkCredentials(t.store, 'ben@example.com', PASSWORD))?.id).toBe(ben);
    });

    it("can neither change, delete nor create another user's row", async () => {
      await t.store.asUser(ann, async (tx) => {
        expect(await tx.update(users).set({ memoryEnabled: false }).where(eq(users.id, ben)).returning()).toEqual([]);
        expect(await tx.delete(users).where(eq(users.id, ben)).returning()).toEqual([]);
      });
      await expect(
        t.store.asUser(ann, (tx) => tx.insert(users).values({ email: 'planted@example.com', passwordHash: 'x', isAnonymous: false })),
      ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/row-level security/) } });
      const [benRow] = await t.db.select().from(users).where(eq(users.id, ben));
      expect(benRow).toMatchObject({ memoryEnabled: true, email: 'ben@example.com' });
    });

    it('shows a merge to its two parties only, and only the system writes one', async () => {
      const guest = (await t.store.asSystem((tx) => createAnonymousUser(tx))).id;
      await chat(guest, 'I live in Lyon.');
      expect(await mergeGuestIntoAccount(t.store, guest, ben, mergeRules)).toMatchObject({ status: 'merged' });

      const merges = (userId: string) => t.store.asUser(userId, (tx) => tx.select({ guest: accountMerges.anonymousUserId }).from(accountMerges));
      expect(await merges(ben)).toEqual([{ guest }]);
      expect(await merges(guest)).toEqual([{ guest }]);
      expect(await merges(ann)).toEqual([]);
      // The guest's cookie learns where its data went, masked, and nothing else of the account.
      expect(await standingOf(t.store, { userId: guest, isAnonymous: true })).toEqual({
        kind: 'merged_guest',
        accountId: ben,
        maskedAccountEmail: 'b…@example.com',
      });
      await expect(
        t.store.asUser(ann, (tx) => tx.insert(accountMerges).values({ anonymousUserId: ann, accountUserId: ben, rowsMoved: {} })),
      ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/row-level security/) } });
      expect(await t.store.asUser(ben, (tx) => tx.delete(accountMerges).returning())).toEqual([]);
      // The account's export lists the merge.
      const exported = await t.store.readAsUser(ben, (tx) => exportUserData(tx, ben));
      expect(exported!.account.guestSessionsMerged).toEqual([{ guestId: guest, mergedAt: expect.any(Date) }]);
    });

    it('shows a connection with no user set nothing of users or merges', async () => {
      const [everything] = await selectRows<{ users: number; merges: number }>(
        t.db,
        sql`SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM account_merges) AS merges`,
      );
      expect(everything!.users).toBeGreaterThan(3);
      expect(everything!.merges).toBeGreaterThan(0);
      const outside = await selectRows<{ users: number; hashes: number; merges: number }>(
        t.app,
        sql`SELECT (SELECT count(*)::int FROM users) AS users,
                   (SELECT count(*)::int FROM users WHERE password_hash IS NOT NULL) AS hashes,
                   (SELECT count(*)::int FROM account_merges) AS merges`,
      );
      expect(outside).toEqual([{ users: 0, hashes: 0, merges: 0 }]);
    });

    it('deletes an account, its merges with it, from its own unit', async () => {
      const gone = await account('gone@example.com');
      const guest = (await t.store.asSystem((tx) => createAnonymousUser(tx))).id;
      await mergeGuestIntoAccount(t.store, guest, gone, mergeRules);
      expect(await t.store.asUser(gone, (tx) => deleteAccount(tx, gone))).toBe(true);
      const [left] = await selectRows<{ users: number; merges: number }>(
        t.db,
        sql`SELECT (SELECT count(*)::int FROM users WHERE id = ${gone}) AS users,
                   (SELECT count(*)::int FROM account_merges WHERE account_user_id = ${gone}) AS merges`,
      );
      expect(left).toEqual({ users: 0, merges: 0 });
    });
  });
});
