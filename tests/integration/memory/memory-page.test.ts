import { eq } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { createAnonymousUser, createConversation } from '@/lib/db/queries';
import { userFacts } from '@/lib/db/schema';
import { createOfflineEmbedder, DEFAULT_OFFLINE_EMBEDDER } from '@/lib/ai/offline/embedder';
import { DECAY_PRESETS, expiresAt, runDecay, defaultDecayOptions } from '@/lib/memory/decay';
import { searchFacts, searchVectorOf } from '@/lib/memory/manage-facts';
import { defaultMemorySettings } from '@/lib/memory/settings';
import { writeFacts } from '@/lib/memory/write-facts';
import { scriptedExtract } from '../../helpers/models';
import { describeOnEngine } from '../engines';

// The embedder the app uses with no vendor, with its own calibrated floor, as the page gets it.
const embedder = createOfflineEmbedder(DEFAULT_OFFLINE_EMBEDDER);
const retrieve = { ...defaultMemorySettings.retrieve, minSimilarity: embedder.calibration!.minSimilarity };
const DAY = 24 * 60 * 60 * 1000;

describeOnEngine('the memory page', (db, _engine, store) => {
  let userId: string;

  async function add(...texts: string[]) {
    const conversationId = (await createConversation(db(), userId, 'Chat')).id;
    const candidates = texts.map((factText) => ({ factType: 'preference' as const, factText, confidence: 0.9, supersedes: [] }));
    return (await writeFacts(store(), embedder, { userId, sourceConversationId: conversationId, candidates })).map((o) => {
      if (o.action !== 'added') throw new Error(`not added: ${JSON.stringify(o)}`);
      return o.fact;
    });
  }
  const search = async (text: string) => (await searchFacts(db(), userId, await searchVectorOf(embedder, text), retrieve)).map((f) => f.factText);

  beforeEach(async () => {
    userId = (await createAnonymousUser(db())).id;
  });

  it('a one-word search finds the fact it means though no word is shared and it scores under the floor', async () => {
    await add('Is vegetarian', 'Plays the cello', 'Has a dog named Rex');
    expect(await search('food')).toContain('Is vegetarian');
    expect(await search('music')).toContain('Plays the cello');
    // A word match still comes first, and alone when nothing else is near.
    expect((await search('cello'))[0]).toBe('Plays the cello');
  });

  it('search results come in the chosen order: best match, or the list’s own', async () => {
    const [tea, coffee] = await add('Likes green tea', 'Drinks coffee every morning');
    await db().update(userFacts).set({ accessCount: 7 }).where(eq(userFacts.id, coffee!.id));
    const found = async (sort: Parameters<typeof searchFacts>[4]) =>
      (await searchFacts(db(), userId, await searchVectorOf(embedder, 'tea'), retrieve, sort)).map((f) => f.id);
    expect((await found('relevance'))[0]).toBe(tea!.id);
    expect(await found('most_used')).toEqual([coffee!.id, tea!.id]);
  });

  it('a search near nothing finds nothing, rather than the nearest noise', async () => {
    await add('Is vegetarian', 'Plays the cello');
    expect(await search('xqzv')).toEqual([]);
  });

  it('the expiry a fact is shown is the one the nightly job applies', async () => {
    const policy = { ...DECAY_PRESETS.default, ttlDays: 60, minAccessCount: 3 };
    const [stale, fresh, used] = await add('Is vegetarian', 'Plays the cello', 'Has a dog named Rex');
    const now = Date.now();
    await db().update(userFacts).set({ lastAccessed: new Date(now - 61 * DAY), accessCount: 1 }).where(eq(userFacts.id, stale!.id));
    await db().update(userFacts).set({ lastAccessed: new Date(now - 59 * DAY), accessCount: 2 }).where(eq(userFacts.id, fresh!.id));
    await db().update(userFacts).set({ lastAccessed: new Date(now - 400 * DAY), accessCount: 3 }).where(eq(userFacts.id, used!.id));
    const rows = await db().select().from(userFacts).where(eq(userFacts.userId, userId));
    const expiry = new Map(rows.map((f) => [f.factText, expiresAt(f, policy)]));
    expect(expiry.get('Is vegetarian')!.getTime()).toBeLessThan(now);
    expect(expiry.get('Plays the cello')!.getTime()).toBe(now - 59 * DAY + 60 * DAY);
    expect(expiry.get('Has a dog named Rex')).toBeNull();

    await runDecay({ store: store(), embedder, extract: scriptedExtract(), settings: defaultMemorySettings }, { ...defaultDecayOptions, policy, sweep: false });
    const left = await db().select().from(userFacts).where(eq(userFacts.userId, userId));
    expect(left.map((f) => f.factText).sort()).toEqual(['Has a dog named Rex', 'Plays the cello']);
  });

  it('a fact never used expires ttlDays after it was learned', () => {
    const createdAt = new Date('2026-01-01T00:00:00Z');
    expect(expiresAt({ createdAt, lastAccessed: null, accessCount: 0 }, { ttlDays: 30, minAccessCount: 3 })).toEqual(new Date('2026-01-31T00:00:00Z'));
  });
});
