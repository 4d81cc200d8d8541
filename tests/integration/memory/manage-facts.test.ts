import { eq, sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { appendTurn, createAnonymousUser, createConversation } from '@/lib/db/queries';
import { selectRows } from '@/lib/db/rows';
import { conversationTurns, episodeEmbeddings, factEmbeddings, userFacts, users } from '@/lib/db/schema';
import { deleteAccount, exportUserData } from '@/lib/db/user-data';
import {
  countCurrentFacts,
  deleteAllMemories,
  editFact,
  factHistory,
  listCurrentFacts,
  restoreFact,
  searchFacts,
  searchVectorOf,
  setMemorySwitches,
} from '@/lib/memory/manage-facts';
import { markTurnLearned } from '@/lib/memory/episode-store';
import { deleteFacts } from '@/lib/memory/fact-store';
import { defaultRetrieveOptions } from '@/lib/memory/retrieve';
import { writeFacts } from '@/lib/memory/write-facts';
import { hashedEmbedder } from '@/lib/ai/offline/hashed-embedder';
import { describeOnEngine } from '../engines';

const retrieve = { ...defaultRetrieveOptions, minSimilarity: 0.25 };
const fact = (factText: string, extra: { confidence?: number; supersedes?: string[] } = {}) => ({
  factType: 'personal_context' as const,
  factText,
  confidence: extra.confidence ?? 0.9,
  supersedes: extra.supersedes ?? [],
});

describeOnEngine('managing one’s memory', (db, engine, store) => {
  let userId: string;
  let stranger: string;
  let conversationId: string;

  async function add(text: string, extra?: Parameters<typeof fact>[1]) {
    const [outcome] = await writeFacts(store(), hashedEmbedder, { userId, sourceConversationId: conversationId, candidates: [fact(text, extra)] });
    if (outcome?.action !== 'added') throw new Error(`not added: ${text}`);
    return outcome.fact;
  }
  const texts = async (sort?: Parameters<typeof listCurrentFacts>[2]) => (await listCurrentFacts(db(), userId, sort)).map((f) => f.factText);

  beforeEach(async () => {
    userId = (await createAnonymousUser(db())).id;
    stranger = (await createAnonymousUser(db())).id;
    conversationId = (await createConversation(db(), userId, 'Chat')).id;
  });

  it('lists current facts in each order, counts them, and searches by words and meaning', async () => {
    await add('Lives in Paris', { confidence: 0.7 });
    await add('Plays the cello in an orchestra', { confidence: 0.95 });
    await db().update(userFacts).set({ accessCount: 5 }).where(eq(userFacts.factText, 'Lives in Paris'));
    expect(await texts('newest')).toEqual(['Plays the cello in an orchestra', 'Lives in Paris']);
    expect(await texts('confidence')).toEqual(['Plays the cello in an orchestra', 'Lives in Paris']);
    expect((await listCurrentFacts(db(), userId, 'most_used'))[0]!.factText).toBe('Lives in Paris');
    expect(await countCurrentFacts(db(), userId)).toBe(2);
    expect((await searchFacts(db(), userId, await searchVectorOf(hashedEmbedder, 'cello'), retrieve)).map((f) => f.factText)).toEqual([
      'Plays the cello in an orchestra',
    ]);
    expect(await searchFacts(db(), stranger, await searchVectorOf(hashedEmbedder, 'cello'), retrieve)).toEqual([]);
  });

  it('edits a fact into a new one, embedded, with the old text kept as its history; not another user’s', async () => {
    const paris = await add('Lives in Paris');
    expect(await editFact(store(), hashedEmbedder, stranger, paris.id, 'Lives in Rome')).toBeUndefined();
    const edited = await editFact(store(), hashedEmbedder, userId, paris.id, 'Lives in Lisbon');
    expect(edited).toMatchObject({ factText: 'Lives in Lisbon', factType: paris.factType, confidence: 1, sourceConversationId: conversationId });
    expect(await texts()).toEqual(['Lives in Lisbon']);
    expect((await searchFacts(db(), userId, await searchVectorOf(hashedEmbedder, 'Lisbon'), retrieve)).map((f) => f.id)).toEqual([edited!.id]);
    const [embedding] = await db().select().from(factEmbeddings).where(eq(factEmbeddings.factId, edited!.id));
    expect(embedding!.embedding.slice(0, 512)).toEqual((await hashedEmbedder.embed(['Lives in Lisbon']))[0]!.map((x) => expect.closeTo(x, 2)));
    // The old text is history, no longer searched.
    expect((await factHistory(db(), userId, edited!.id)).map((f) => f.factText)).toEqual(['Lives in Paris']);
    expect(await db().select().from(factEmbeddings).where(eq(factEmbeddings.factId, paris.id))).toEqual([]);
    // Editing a fact that was replaced meanwhile changes nothing.
    expect(await editFact(store(), hashedEmbedder, userId, paris.id, 'Lives in Oslo')).toBeUndefined();
  });

  it('deletes a fact with its embedding, and Undo restores it as it was', async () => {
    const paris = await add('Lives in Paris');
    expect(await deleteFacts(db(), stranger, [paris.id])).toEqual([]);
    const [deleted] = await deleteFacts(db(), userId, [paris.id]);
    expect(deleted).toMatchObject({ id: paris.id, factText: 'Lives in Paris' });
    expect(await texts()).toEqual([]);
    expect(await db().select().from(factEmbeddings).where(eq(factEmbeddings.factId, paris.id))).toEqual([]);

    const restored = await restoreFact(store(), hashedEmbedder, userId, deleted!);
    expect(restored).toMatchObject({ id: paris.id, createdAt: paris.createdAt, sourceConversationId: conversationId });
    expect((await searchFacts(db(), userId, await searchVectorOf(hashedEmbedder, 'Paris'), retrieve)).map((f) => f.id)).toEqual([paris.id]);
  });

  it('shows the history of a superseded fact, and deletes everything on request', async () => {
    const paris = await add('Lives in Paris');
    const berlin = await add('Lives in Berlin', { supersedes: [paris.id] });
    const lisbon = await add('Lives in Lisbon', { supersedes: [berlin.id] });
    expect((await factHistory(db(), userId, lisbon.id)).map((f) => f.factText)).toEqual(['Lives in Berlin', 'Lives in Paris']);
    expect(await factHistory(db(), stranger, lisbon.id)).toEqual([]);
    const turn = await appendTurn(db(), userId, { conversationId, role: 'user', content: 'I play the cello' });
    await markTurnLearned(db(), { userId, turnId: turn!.id, episode: { conversationId, model: hashedEmbedder.model, vector: (await hashedEmbedder.embed(['I play the cello']))[0]! } });
    expect(await deleteAllMemories(db(), userId)).toEqual({ facts: 3, episodes: 1 });
    expect(await db().select().from(userFacts).where(eq(userFacts.userId, userId))).toEqual([]);
    expect(await db().select().from(episodeEmbeddings).where(eq(episodeEmbeddings.userId, userId))).toEqual([]);
    // What was said stays: only what was learned from it goes.
    expect(await db().select().from(conversationTurns).where(eq(conversationTurns.id, turn!.id))).toHaveLength(1);
  });

  it('switches memory and past chats off and on', async () => {
    await setMemorySwitches(db(), userId, { memoryEnabled: false, referenceChats: false });
    expect((await db().select().from(users).where(eq(users.id, userId)))[0]).toMatchObject({ memoryEnabled: false, referenceChats: false });
    await setMemorySwitches(db(), userId, { referenceChats: true });
    expect((await db().select().from(users).where(eq(users.id, userId)))[0]).toMatchObject({ memoryEnabled: false, referenceChats: true });
  });

  it('exports exactly the user’s data, and deleting the account leaves no row of theirs', async () => {
    const turn = await appendTurn(db(), userId, { conversationId, role: 'user', content: 'I live in Paris' });
    const paris = await add('Lives in Paris');
    await add('Lives in Berlin', { supersedes: [paris.id] });
    const theirs = (await createConversation(db(), stranger, 'Not yours')).id;
    await appendTurn(db(), stranger, { conversationId: theirs, role: 'user', content: 'secret' });

    const data = await exportUserData(db(), userId);
    expect(data).toMatchObject({
      account: { id: userId, isGuest: true },
      conversations: [{ id: conversationId, turns: [{ id: turn!.id, content: 'I live in Paris' }] }],
    });
    expect(data!.facts.map((f) => [f.text, f.supersededBy !== null])).toEqual([
      ['Lives in Paris', true],
      ['Lives in Berlin', false],
    ]);
    expect(JSON.stringify(data)).not.toContain('secret');

    expect(await deleteAccount(db(), userId)).toBe(true);
    const [left] = await selectRows<Record<string, number>>(
      db(),
      sql`SELECT (SELECT count(*)::int FROM users WHERE id = ${userId}) AS users,
                 (SELECT count(*)::int FROM conversations WHERE user_id = ${userId}) AS conversations,
                 (SELECT count(*)::int FROM conversation_turns WHERE user_id = ${userId}) AS turns,
                 (SELECT count(*)::int FROM user_facts WHERE user_id = ${userId}) AS facts,
                 (SELECT count(*)::int FROM fact_embeddings WHERE user_id = ${userId}) AS embeddings`,
    );
    expect(left).toEqual({ users: 0, conversations: 0, turns: 0, facts: 0, embeddings: 0 });
    expect(await exportUserData(db(), stranger)).toMatchObject({ conversations: [{ title: 'Not yours' }] });
  });
});
