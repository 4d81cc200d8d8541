/**
 * The nightly job deletes guests with no chat for GUEST_TTL_DAYS, with every row of theirs, and
 * leaves recent guests and accounts alone; it also deletes rate-limit rows whose window ended.
 * Both are counted in its summary.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { createAccount } from '@/lib/auth/accounts';
import { selectRows } from '@/lib/db/rows';
import { appendTurn, createAnonymousUser, createConversation } from '@/lib/db/queries';
import { conversations, rateLimits, users } from '@/lib/db/schema';
import { defaultDecayOptions, runDecay } from '@/lib/memory/decay';
import { defaultMemorySettings } from '@/lib/memory/settings';
import type { MemoryServices } from '@/lib/memory/services';
import { writeFacts } from '@/lib/memory/write-facts';
import { scriptedEmbedder, scriptedExtract } from '../../helpers/models';
import { describeOnEngine } from '../engines';

const embedder = scriptedEmbedder();
const daysAgo = (days: number) => sql`now() - make_interval(secs => ${Math.round(days * 86400)})`;

describeOnEngine('guests that expire', (db, engine, store) => {
  const services = (): MemoryServices => ({ store: store(), extract: scriptedExtract(), embedder, settings: defaultMemorySettings });
  const run = (overrides: Partial<typeof defaultDecayOptions> = {}) =>
    runDecay(services(), { ...defaultDecayOptions, sweep: false, guestTtlDays: 30, ...overrides });

  /** A guest created `createdDaysAgo` days ago who chatted last `chattedDaysAgo` days ago (never, if undefined). */
  async function guest(createdDaysAgo: number, chattedDaysAgo?: number) {
    const id = (await createAnonymousUser(db())).id;
    await db().update(users).set({ createdAt: daysAgo(createdDaysAgo) }).where(eq(users.id, id));
    if (chattedDaysAgo !== undefined) await chat(id, chattedDaysAgo);
    return id;
  }

  /** A conversation with a turn, a fact with its embedding and an episode, last updated `updatedDaysAgo` days ago. */
  async function chat(userId: string, updatedDaysAgo: number) {
    const conversation = await createConversation(db(), userId, 'A chat');
    const turn = await appendTurn(db(), userId, { conversationId: conversation.id, role: 'user', content: 'I live in Lyon.' });
    const [vector] = await embedder.embed(['I live in Lyon.']);
    // Learned as after a chat turn: the fact, and the turn kept as an episode.
    await writeFacts(store(), embedder, {
      userId,
      sourceConversationId: conversation.id,
      sourceTurnId: turn!.id,
      candidates: [{ factType: 'personal_context', factText: 'Lives in Lyon', confidence: 0.9, supersedes: [] }],
      episode: { conversationId: conversation.id, vector: vector! },
    });
    await db().update(conversations).set({ updatedAt: daysAgo(updatedDaysAgo) }).where(eq(conversations.id, conversation.id));
  }

  /** Every row under each user, table by table (as the owner, which sees them all). */
  async function rowsOf(ids: string[]) {
    const tables = ['users', 'conversations', 'conversation_turns', 'user_facts', 'fact_embeddings', 'episode_embeddings', 'episode_words'];
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const column = table === 'users' ? sql.raw('id') : sql.raw('user_id');
      const [row] = await selectRows<{ n: number }>(
        db(),
        sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)} WHERE ${column} = ANY(${sql.param(ids)}::uuid[])`,
      );
      counts[table] = row!.n;
    }
    return counts;
  }
  const present = async (ids: string[]) =>
    (await db().select({ id: users.id }).from(users).where(inArray(users.id, ids))).map((u) => u.id).sort();

  beforeEach(async () => {
    // The job spans every user: each test starts from an empty database.
    await db().delete(users);
    await db().delete(rateLimits);
  });

  it('deletes guests idle for the TTL with every row of theirs, and only them', async () => {
    const idleChatted = await guest(90, 31);
    const idleSilent = await guest(30.01);
    const chattedRecently = await guest(90, 29.99);
    const newGuest = await guest(29.99);
    const created = await createAccount(store(), `old-${Math.random().toString(36).slice(2)}@example.com`, 'a long and unusual passphrase');
    if (!created.ok) throw new Error('account not created');
    const account = created.user.id;
    await db().update(users).set({ createdAt: daysAgo(400) }).where(eq(users.id, account));
    await chat(account, 300);

    expect(await rowsOf([idleChatted])).toEqual({
      users: 1,
      conversations: 1,
      conversation_turns: 1,
      user_facts: 1,
      fact_embeddings: 1,
      episode_embeddings: 1,
      // The episode's words: "live" and "lyon".
      episode_words: 2,
    });
    // One guest per batch: the batches walk past the guests they keep.
    const summary = await run({ batchSize: 1 });
    expect(summary).toMatchObject({ status: 'completed', guestsExpired: 2 });
    expect(await rowsOf([idleChatted, idleSilent])).toEqual({
      users: 0,
      conversations: 0,
      conversation_turns: 0,
      user_facts: 0,
      fact_embeddings: 0,
      episode_embeddings: 0,
      episode_words: 0,
    });
    expect(await present([chattedRecently, newGuest, account])).toEqual([chattedRecently, newGuest, account].sort());
    expect(await rowsOf([account])).toMatchObject({ conversations: 1, conversation_turns: 1, user_facts: 1 });
    expect(await run()).toMatchObject({ guestsExpired: 0 });
  });

  it('follows the setting, and a dry run counts without deleting', async () => {
    const fortyDays = await guest(40, 40);
    const tenDays = await guest(10);
    expect(await run({ guestTtlDays: 5, dryRun: true })).toMatchObject({ dryRun: true, guestsExpired: 2 });
    expect(await present([fortyDays, tenDays])).toHaveLength(2);
    expect(await run({ guestTtlDays: 60 })).toMatchObject({ guestsExpired: 0 });
    expect(await run({ guestTtlDays: 30 })).toMatchObject({ guestsExpired: 1 });
    expect(await present([fortyDays, tenDays])).toEqual([tenDays]);
  });

  it.runIf(engine === 'postgres')('skips a guest whose row a merge into an account holds locked', async () => {
    const merging = await guest(90);
    const idle = await guest(90);
    // The merge's first step (lib/memory/merge.ts) holds the guest's row until it commits.
    await db().transaction(async (tx) => {
      await tx.execute(sql`SELECT id FROM users WHERE id = ${merging} FOR UPDATE`);
      expect(await run()).toMatchObject({ guestsExpired: 1 });
    });
    expect(await present([merging, idle])).toEqual([merging]);
  });

  it('deletes rate-limit rows whose window ended, and counts them', async () => {
    const now = Date.now();
    await db()
      .insert(rateLimits)
      .values([
        { key: 'chat:ended', points: 3, expire: now - 1 },
        { key: 'guest:ended long ago', points: 20, expire: now - 86_400_000 },
        { key: 'chat:open', points: 1, expire: now + 60_000 },
        { key: 'lock:forever', points: 1, expire: null },
      ]);
    expect(await run({ dryRun: true })).toMatchObject({ rateLimitsSwept: 2 });
    expect(await db().select().from(rateLimits)).toHaveLength(4);
    expect(await run()).toMatchObject({ rateLimitsSwept: 2 });
    expect((await db().select({ key: rateLimits.key }).from(rateLimits)).map((r) => r.key).sort()).toEqual(['chat:open', 'lock:forever']);
  });
});
