import { eq, sql } from 'drizzle-orm';
import { beforeEach, expect, it, vi } from 'vitest';
import { checkCredentials, createAccount } from '@/lib/auth/accounts';
import { appendTurn, createAnonymousUser, createConversation } from '@/lib/db/queries';
import { accountMerges, conversationTurns, conversations, factEmbeddings, userFacts, users } from '@/lib/db/schema';
import { selectRows } from '@/lib/db/rows';
import { mergeGuestIntoAccount } from '@/lib/memory/merge';
import { defaultWriteFactsOptions, writeFacts } from '@/lib/memory/write-facts';
import { axisVector, scriptedEmbedder } from '../../helpers/models';
import { describeOnEngine } from '../engines';

const embedder = scriptedEmbedder({
  'Lives in Paris': axisVector(0),
  // Close to Paris in meaning-space (cosine ~0.98): the same slot, a newer value.
  'Lives in Berlin': axisVector(0, 0.2),
  'Likes green tea': axisVector(4),
  'Likes green tea a lot': axisVector(4, 0.1),
  'Plays chess': axisVector(8),
});

const fact = (factText: string, confidence = 0.9) => ({ factType: 'personal_context' as const, factText, confidence, supersedes: [] });

describeOnEngine('moving a guest into an account', (db, engine, store) => {
  let guest: string;
  const merge = (guestId: string, accountId: string) =>
    mergeGuestIntoAccount(store(), guestId, accountId, { model: embedder.model, ...defaultWriteFactsOptions });

  /** A guest who chatted once and taught Engram some facts. */
  async function guestWith(...facts: { factText: string; confidence: number }[]) {
    const id = (await createAnonymousUser(db())).id;
    const conversation = await createConversation(db(), id, 'Guest chat');
    const turn = await appendTurn(db(), id, { conversationId: conversation.id, role: 'user', content: 'hello' });
    await appendTurn(db(), id, { conversationId: conversation.id, role: 'assistant', content: 'hi', repliesTo: turn!.id });
    await writeFacts(store(), embedder, {
      userId: id,
      sourceConversationId: conversation.id,
      sourceTurnId: turn!.id,
      candidates: facts.map((f) => ({ ...fact(f.factText, f.confidence) })),
    });
    return id;
  }

  const rowsOf = async (userId: string) => {
    const [row] = await selectRows<Record<string, number>>(
      db(),
      sql`SELECT (SELECT count(*)::int FROM conversations WHERE user_id = ${userId}) AS conversations,
                 (SELECT count(*)::int FROM conversation_turns WHERE user_id = ${userId}) AS turns,
                 (SELECT count(*)::int FROM user_facts WHERE user_id = ${userId}) AS facts,
                 (SELECT count(*)::int FROM fact_embeddings WHERE user_id = ${userId}) AS embeddings`,
    );
    return row!;
  };
  const currentFacts = async (userId: string) =>
    (await db().select().from(userFacts).where(eq(userFacts.userId, userId)))
      .filter((f) => !f.supersededAt)
      .map((f) => `${f.factText} ${f.confidence}`)
      .sort();

  beforeEach(async () => {
    guest = await guestWith({ factText: 'Lives in Berlin', confidence: 0.9 }, { factText: 'Likes green tea', confidence: 0.7 });
  });

  const newAccount = async () => {
    const created = await createAccount(store(), `user-${Math.random().toString(36).slice(2)}@example.com`, 'a good long password');
    if (!created.ok) throw new Error(created.error);
    return created.user.id;
  };

  it('on sign-up, everything the guest said and Engram learned becomes the account’s', async () => {
    const account = await newAccount();
    const before = await rowsOf(guest);
    const result = await merge(guest, account);

    expect(result).toEqual({
      status: 'merged',
      rowsMoved: { conversations: 1, conversation_turns: 2, user_facts: 2, fact_embeddings: 2, episode_embeddings: 0, episode_words: 0 },
      factsResolved: 0,
    });
    expect(await rowsOf(account)).toEqual(before);
    expect(await rowsOf(guest)).toEqual({ conversations: 0, turns: 0, facts: 0, embeddings: 0 });
    expect(await db().select().from(users).where(eq(users.id, guest))).toEqual([]);
    expect(await db().select().from(accountMerges).where(eq(accountMerges.anonymousUserId, guest))).toMatchObject([
      { accountUserId: account, rowsMoved: result.status === 'merged' ? result.rowsMoved : {} },
    ]);
  });

  it('into an existing account, duplicates are resolved (higher confidence, then newer, wins) and the newer home replaces the older', async () => {
    const account = await newAccount();
    await writeFacts(store(), embedder, {
      userId: account,
      candidates: [fact('Lives in Paris', 0.95), fact('Likes green tea a lot', 0.95), fact('Plays chess', 0.9)],
    });
    // The account learned Paris before the guest said Berlin.
    await db().update(userFacts).set({ createdAt: sql`now() - interval '1 year'` }).where(eq(userFacts.userId, account));
    const result = await merge(guest, account);
    expect(result).toMatchObject({ status: 'merged', factsResolved: 2 });

    // Berlin is newer than Paris, whatever the confidence; the account's tea (0.95) beats the guest's (0.7).
    expect(await currentFacts(account)).toEqual(['Likes green tea a lot 0.95', 'Lives in Berlin 0.9', 'Plays chess 0.9']);
    const accountFacts = await db().select().from(userFacts).where(eq(userFacts.userId, account));
    const paris = accountFacts.find((f) => f.factText === 'Lives in Paris');
    const berlin = accountFacts.find((f) => f.factText === 'Lives in Berlin');
    expect(paris).toMatchObject({ userId: account, supersededBy: berlin!.id });
    expect(await db().select().from(factEmbeddings).where(eq(factEmbeddings.factId, paris!.id))).toEqual([]);
  });

  it('keeps the account’s home when it is newer than the guest’s', async () => {
    const account = await newAccount();
    await db().update(userFacts).set({ createdAt: sql`now() - interval '1 year'` }).where(eq(userFacts.userId, guest));
    await writeFacts(store(), embedder, { userId: account, candidates: [fact('Lives in Paris', 0.6)] });
    await merge(guest, account);
    expect((await currentFacts(account)).filter((f) => f.startsWith('Lives'))).toEqual(['Lives in Paris 0.6']);
  });

  it('a second merge of the same guest changes nothing', async () => {
    const account = await newAccount();
    await merge(guest, account);
    const after = await rowsOf(account);
    expect(await merge(guest, account)).toEqual({ status: 'already_merged', accountUserId: account });
    // Not even into another account.
    expect(await merge(guest, await newAccount())).toEqual({ status: 'already_merged', accountUserId: account });
    expect(await rowsOf(account)).toEqual(after);
  });

  it('two merges at once neither lose nor duplicate rows', async () => {
    const account = await newAccount();
    const before = await rowsOf(guest);
    const results = await Promise.all([merge(guest, account), merge(guest, account)]);
    expect(results.map((r) => r.status).sort()).toEqual(['already_merged', 'merged']);
    expect(await rowsOf(account)).toEqual(before);
    expect(await db().select().from(accountMerges).where(eq(accountMerges.anonymousUserId, guest))).toHaveLength(1);
  });

  it('several guests can merge into one account', async () => {
    const account = await newAccount();
    const second = await guestWith({ factText: 'Plays chess', confidence: 0.9 });
    await merge(guest, account);
    await merge(second, account);
    expect(await db().select().from(accountMerges).where(eq(accountMerges.accountUserId, account))).toHaveLength(2);
    expect(await db().select().from(conversations).where(eq(conversations.userId, account))).toHaveLength(2);
    expect(await db().select().from(conversationTurns).where(eq(conversationTurns.userId, account))).toHaveLength(4);
  });

  it('keeps the guest, and every row of it, when a row could not be moved', async () => {
    const account = await newAccount();
    const before = await rowsOf(guest);
    // A fault that leaves one of the guest's rows behind: a trigger that skips its update.
    await db().execute(sql.raw(`CREATE FUNCTION keep_guest_turn() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF OLD.user_id = '${guest}' AND OLD.role = 'assistant' THEN RETURN NULL; END IF; RETURN NEW; END $$`));
    await db().execute(sql.raw('CREATE TRIGGER keep_guest_turn BEFORE UPDATE ON conversation_turns FOR EACH ROW EXECUTE FUNCTION keep_guest_turn()'));
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const result = await merge(guest, account);
      expect(result).toEqual({ status: 'incomplete', rowsLeft: { conversations: 0, conversation_turns: 1, user_facts: 0, fact_embeddings: 0, episode_embeddings: 0, episode_words: 0 } });
      expect(logged).toHaveBeenCalledWith(expect.stringMatching(/guest .* kept, nothing moved: rows still under the guest/));
    } finally {
      logged.mockRestore();
      await db().execute(sql.raw('DROP TRIGGER keep_guest_turn ON conversation_turns'));
      await db().execute(sql.raw('DROP FUNCTION keep_guest_turn()'));
    }
    // Nothing moved, nothing deleted, no merge recorded: the next sign-in tries again.
    expect(await rowsOf(guest)).toEqual(before);
    expect(await rowsOf(account)).toEqual({ conversations: 0, turns: 0, facts: 0, embeddings: 0 });
    expect(await db().select().from(users).where(eq(users.id, guest))).toHaveLength(1);
    expect(await db().select().from(accountMerges).where(eq(accountMerges.anonymousUserId, guest))).toEqual([]);
    expect(await merge(guest, account)).toMatchObject({ status: 'merged', rowsMoved: { conversation_turns: 2 } });
  });

  it('an account is not a guest: nothing moves out of it', async () => {
    const account = await newAccount();
    const other = await newAccount();
    expect(await merge(account, other)).toEqual({ status: 'not_a_guest' });
  });
});

describeOnEngine('accounts', (db, engine, store) => {
  it('refuses a taken email, and checks passwords', async () => {
    const email = `taken-${Math.random().toString(36).slice(2)}@example.com`;
    expect(await createAccount(store(), email, 'first password here')).toMatchObject({ ok: true });
    expect(await createAccount(store(), email, 'second password here')).toEqual({ ok: false, error: 'email_taken' });
    expect(await checkCredentials(store(), email, 'first password here')).toMatchObject({ email, isAnonymous: false });
    expect(await checkCredentials(store(), email, 'wrong password')).toBeUndefined();
    expect(await checkCredentials(store(), 'nobody@example.com', 'first password here')).toBeUndefined();
    const [stored] = await db().select().from(users).where(eq(users.email, email));
    expect(stored!.passwordHash).toMatch(/^\$argon2id\$/);
  });
});
