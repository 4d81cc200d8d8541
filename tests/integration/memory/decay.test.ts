import { eq, sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { appendTurn, createAnonymousUser, createConversation } from '@/lib/db/queries';
import { conversationTurns, factEmbeddings, userFacts, users } from '@/lib/db/schema';
import { parseEnv } from '@/lib/env';
import { DECAY_PRESETS, defaultDecayOptions, runDecay, type DecayPolicy } from '@/lib/memory/decay';
import { defaultMemorySettings } from '@/lib/memory/settings';
import type { MemoryServices } from '@/lib/memory/services';
import { writeFacts } from '@/lib/memory/write-facts';
import { decayPolicyFrom } from '@/lib/services';
import { scriptedEmbedder, scriptedExtract } from '../../helpers/models';
import { describeOnEngine } from '../engines';

const policy: DecayPolicy = { ttlDays: 60, minAccessCount: 3, maxFactsPerUser: 4, historyRetentionDays: 90 };
const embedder = scriptedEmbedder();

describeOnEngine('the nightly decay', (db, engine, store) => {
  let userId: string;
  const services = (extract = scriptedExtract()): MemoryServices => ({ store: store(), extract, embedder, settings: defaultMemorySettings });
  const run = (overrides: Partial<typeof defaultDecayOptions> = {}) => runDecay(services(), { ...defaultDecayOptions, policy, ...overrides });

  /** A fact whose age and use the test sets: `lastUsedDaysAgo` null means never used. */
  async function fact(text: string, o: { createdDaysAgo?: number; lastUsedDaysAgo?: number | null; uses?: number; confidence?: number; owner?: string } = {}) {
    const owner = o.owner ?? userId;
    const [outcome] = await writeFacts(store(), embedder, {
      userId: owner,
      candidates: [{ factType: 'preference', factText: text, confidence: o.confidence ?? 0.9, supersedes: [] }],
    });
    if (outcome?.action !== 'added') throw new Error(`not added: ${text}`);
    const days = (n: number | null | undefined) => (n === null || n === undefined ? null : sql`now() - make_interval(secs => ${Math.round(n * 86400)})`);
    await db()
      .update(userFacts)
      .set({
        createdAt: days(o.createdDaysAgo ?? 0) ?? sql`now()`,
        lastAccessed: days(o.lastUsedDaysAgo),
        accessCount: o.uses ?? 0,
      })
      .where(eq(userFacts.id, outcome.fact.id));
    return outcome.fact.id;
  }
  const remaining = async (owner = userId) =>
    (await db().select().from(userFacts).where(eq(userFacts.userId, owner))).map((f) => f.factText).sort();

  beforeEach(async () => {
    // The job spans every user: each test starts from an empty database.
    await db().delete(users);
    userId = (await createAnonymousUser(db())).id;
  });

  it('forgets facts unused for the TTL and used too rarely, at the exact boundaries', async () => {
    await fact('unused just over 60 days, used twice', { createdDaysAgo: 100, lastUsedDaysAgo: 60.001, uses: 2 });
    await fact('never used, learned 61 days ago', { createdDaysAgo: 61, lastUsedDaysAgo: null, uses: 0 });
    await fact('unused just under 60 days', { createdDaysAgo: 100, lastUsedDaysAgo: 59.99, uses: 0 });
    await fact('old but used three times', { createdDaysAgo: 300, lastUsedDaysAgo: 200, uses: 3 });
    await fact('new', {});
    const expiredId = await fact('to check embeddings', { createdDaysAgo: 90, uses: 0 });

    const summary = await run();
    expect(summary).toMatchObject({ status: 'completed', factsExpired: 3, factsCapped: 0, historyPurged: 0, users: 1 });
    expect(await remaining()).toEqual(['new', 'old but used three times', 'unused just under 60 days']);
    expect(await db().select().from(factEmbeddings).where(eq(factEmbeddings.factId, expiredId))).toEqual([]);
  });

  it('caps each user, keeping the highest confidence, then the most used', async () => {
    const other = (await createAnonymousUser(db())).id;
    for (const [text, confidence, uses] of [
      ['a 0.95', 0.95, 0],
      ['b 0.9 used 5', 0.9, 5],
      ['c 0.9 used 1', 0.9, 1],
      ['d 0.8', 0.8, 9],
      ['e 0.7', 0.7, 9],
      ['f 0.65', 0.65, 9],
    ] as const) {
      await fact(text, { confidence, uses });
    }
    for (const text of ['w', 'x', 'y', 'z']) await fact(`exactly at the cap ${text}`, { owner: other });

    expect(await run()).toMatchObject({ factsCapped: 2, factsExpired: 0 });
    expect(await remaining()).toEqual(['a 0.95', 'b 0.9 used 5', 'c 0.9 used 1', 'd 0.8']);
    expect(await remaining(other)).toHaveLength(4);
  });

  it('purges superseded history older than the retention, and only that', async () => {
    const paris = await fact('Lives in Paris');
    const rome = await fact('Lives in Rome');
    await fact('Lives in Oslo');
    await db().update(userFacts).set({ supersededAt: sql`now() - interval '91 days'` }).where(eq(userFacts.id, paris));
    await db().update(userFacts).set({ supersededAt: sql`now() - interval '89 days'` }).where(eq(userFacts.id, rome));
    expect(await run()).toMatchObject({ historyPurged: 1 });
    expect(await remaining()).toEqual(['Lives in Oslo', 'Lives in Rome']);
  });

  it('a dry run reports what a real run then deletes, and deletes nothing', async () => {
    await fact('expired', { createdDaysAgo: 70 });
    for (let i = 0; i < 6; i++) await fact(`fact ${i}`, { confidence: 0.6 + i * 0.05 });
    const before = await remaining();
    const dry = await run({ dryRun: true });
    expect(dry).toMatchObject({ status: 'completed', dryRun: true, factsExpired: 1, factsCapped: 2 });
    expect(await remaining()).toEqual(before);
    const real = await run();
    expect(real).toMatchObject({ factsExpired: 1, factsCapped: 2 });
  });

  it('a second run at the same time skips instead of deleting twice', async () => {
    for (let i = 0; i < 8; i++) await fact(`fact ${i}`, { createdDaysAgo: i < 2 ? 70 : 0 });
    const results = await Promise.all([run(), run()]);
    const completed = results.filter((r) => r.status === 'completed');
    const deleted = completed.reduce((n, r) => n + (r.status === 'completed' ? r.factsExpired + r.factsCapped : 0), 0);
    expect(deleted).toBe(4);
    expect(await remaining()).toHaveLength(4);
    // The lease is given back: the next night runs.
    expect(await run()).toMatchObject({ status: 'completed', factsExpired: 0, factsCapped: 0 });
  });

  it('sweeps turns whose extraction never finished', async () => {
    const conversationId = (await createConversation(db(), userId)).id;
    const turn = await appendTurn(db(), userId, { conversationId, role: 'user', content: 'I play the oboe' });
    await db().update(conversationTurns).set({ createdAt: sql`now() - interval '1 hour'` }).where(eq(conversationTurns.id, turn!.id));
    const extract = scriptedExtract({ facts: [{ fact_type: 'preference', fact_text: 'Plays the oboe', confidence: 0.9, supersedes: [] }] });
    const summary = await runDecay(services(extract), { ...defaultDecayOptions, policy });
    expect(summary).toMatchObject({ turnsSwept: { attempted: 1, extracted: 1, failed: 0 } });
    expect(await remaining()).toEqual(['Plays the oboe']);
  });
});

it('profiles set the policy, and each setting overrides its part', () => {
  const base = { AUTH_SECRET: 'x'.repeat(32) };
  expect(decayPolicyFrom(parseEnv(base))).toEqual(DECAY_PRESETS.default);
  expect(decayPolicyFrom(parseEnv({ ...base, MEMORY_PROFILE: 'support_bot' }))).toMatchObject({ maxFactsPerUser: 200, ttlDays: 30 });
  expect(decayPolicyFrom(parseEnv({ ...base, MEMORY_PROFILE: 'personal_assistant', MEMORY_MAX_FACTS: '800' }))).toMatchObject({
    maxFactsPerUser: 800,
    ttlDays: 180,
  });
});
