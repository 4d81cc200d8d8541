import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { appendTurn, createAnonymousUser, createConversation } from '@/lib/db/queries';
import { conversationTurns, episodeEmbeddings, factEmbeddings, userFacts } from '@/lib/db/schema';
import { refreshFacts } from '@/lib/memory/fact-store';
import { defaultWriteFactsOptions, TurnAlreadyLearned, writeFacts, type CandidateFact } from '@/lib/memory/write-facts';
import { axisVector, scriptedEmbedder } from '../../helpers/models';
import { HOUSEKEEPING, recordingStore } from '../../helpers/single-shard';
import { describeOnEngine } from '../engines';

const fact = (factText: string, extra: Partial<CandidateFact> = {}): CandidateFact => ({
  factType: 'personal_context',
  factText,
  confidence: 0.9,
  supersedes: [],
  ...extra,
});

describeOnEngine('the writer', (db, engine, store) => {
  let userId: string;
  const embedder = scriptedEmbedder({
    'Lives in Paris': axisVector(0),
    'Lives in Berlin': axisVector(0, 0.6), // close to Paris (cosine 0.86), below the duplicate line
    'Is based in Berlin': axisVector(0, 0.62), // a paraphrase of "Lives in Berlin" (cosine > 0.99)
    'Is based in Paris': axisVector(0, 0.02), // a paraphrase of "Lives in Paris"
    'Prefers tea': axisVector(10),
    'Likes green tea': axisVector(20),
    'Enjoys green tea': axisVector(30), // worded alike, embedded apart: trigram must catch it
  });

  beforeEach(async () => {
    userId = (await createAnonymousUser(db())).id;
  });

  const current = () =>
    db()
      .select()
      .from(userFacts)
      .where(eq(userFacts.userId, userId))
      .then((rows) => rows.filter((r) => !r.supersededAt).map((r) => r.factText).sort());

  it('adds a new fact with its embedding, source and confidence', async () => {
    const [outcome] = await writeFacts(store(), embedder, { userId, candidates: [fact('Lives in Paris')] });
    expect(outcome!.action).toBe('added');
    const [stored] = await db().select().from(userFacts).where(eq(userFacts.userId, userId));
    expect(stored).toMatchObject({ factText: 'Lives in Paris', confidence: 0.9, factType: 'personal_context' });
    const embeddings = await db().select().from(factEmbeddings).where(eq(factEmbeddings.factId, stored!.id));
    expect(embeddings).toHaveLength(1);
    expect(embeddings[0]!.model).toBe('test-embedder');
  });

  it('writes a turn\'s new facts, its mark and its episode in two statements, three when one replaces another or some are known', async () => {
    const conversationId = (await createConversation(db(), userId)).id;
    const said = async (content: string) => (await appendTurn(db(), userId, { conversationId, role: 'user', content }))!;
    const recorder = recordingStore(db(), engine);
    const statements = () => recorder.units.at(-1)!.statements.filter((s) => !HOUSEKEEPING.test(s.sql)).length;
    const learn = async (content: string, candidates: CandidateFact[]) => {
      const turn = await said(content);
      const outcomes = await writeFacts(recorder.store, embedder, { userId, sourceTurnId: turn.id, sourceConversationId: conversationId, candidates, episode: { conversationId, vector: axisVector(40) } });
      return { turn, outcomes };
    };

    const first = await learn('I live in Paris, like green tea and prefer tea', [fact('Lives in Paris'), fact('Likes green tea', { factType: 'preference' }), fact('Prefers tea', { factType: 'preference' })]);
    expect(statements()).toBe(2);
    expect(first.outcomes.map((o) => o.action)).toEqual(['added', 'added', 'added']);
    const [turn] = await db().select().from(conversationTurns).where(eq(conversationTurns.id, first.turn.id));
    expect(turn!.extractedAt).not.toBeNull();
    expect(await db().select().from(episodeEmbeddings).where(eq(episodeEmbeddings.turnId, first.turn.id))).toHaveLength(1);
    const vectors = await db().select().from(factEmbeddings).where(eq(factEmbeddings.userId, userId));
    expect(vectors.map((v) => v.factId).sort()).toEqual(first.outcomes.map((o) => (o.action === 'dropped' ? '' : o.fact.id)).sort());

    const moved = await learn('I moved to Berlin', [fact('Lives in Berlin')]);
    expect(statements()).toBe(3);
    expect(moved.outcomes).toMatchObject([{ action: 'added', superseded: [first.outcomes[0]!.action === 'dropped' ? '' : first.outcomes[0]!.fact.id] }]);
    expect(await current()).toEqual(['Likes green tea', 'Lives in Berlin', 'Prefers tea']);

    // Known facts said again are refreshed by one statement, before the new fact's (a new fact
    // said twice is stored once, with the higher confidence); the refresh carries no COMMIT.
    const again = await learn('I am based in Berlin and like green tea; I also play the cello', [
      fact('Is based in Berlin', { confidence: 1 }),
      fact('likes green tea.', { factType: 'preference' }),
      fact('Plays the cello', { factType: 'preference', confidence: 0.625 }),
      fact('plays the cello.', { factType: 'preference', confidence: 0.875 }),
    ]);
    expect(statements()).toBe(3);
    expect(again.outcomes.map((o) => o.action)).toEqual(['refreshed', 'refreshed', 'added', 'refreshed']);
    const cello = again.outcomes[2]!.action === 'dropped' ? '' : again.outcomes[2]!.fact.id;
    expect(again.outcomes[3]).toMatchObject({ fact: { id: cello, confidence: 0.875 } });
    expect(again.outcomes[0]).toMatchObject({ fact: { factText: 'Lives in Berlin', confidence: 1 } });
    expect(await current()).toEqual(['Likes green tea', 'Lives in Berlin', 'Plays the cello', 'Prefers tea']);

    // A turn learned meanwhile: the rider's mark matches nothing, and nothing is written.
    await expect(
      writeFacts(recorder.store, embedder, { userId, sourceTurnId: moved.turn.id, candidates: [fact('Lives in Paris')] }),
    ).rejects.toBeInstanceOf(TurnAlreadyLearned);
    expect(await current()).toEqual(['Likes green tea', 'Lives in Berlin', 'Plays the cello', 'Prefers tea']);
  });

  it('refreshes known facts only all together: one gone, or another user\'s, fails them all', async () => {
    const [mine] = await writeFacts(store(), embedder, { userId, candidates: [fact('Prefers tea', { confidence: 0.75 })] });
    const stranger = (await createAnonymousUser(db())).id;
    const [theirs] = await writeFacts(store(), embedder, { userId: stranger, candidates: [fact('Prefers tea')] });
    const id = (o: typeof mine) => (o!.action === 'dropped' ? '' : o!.fact.id);
    for (const other of [randomUUID(), id(theirs)]) {
      await expect(
        store().asUser(userId, (tx) => refreshFacts(tx, userId, [{ id: id(mine), confidence: 1 }, { id: other, confidence: 1 }])),
      ).rejects.toThrow(`The facts ${other} to refresh are no longer the user's.`);
    }
    const [kept] = await db().select().from(userFacts).where(eq(userFacts.id, id(mine)));
    expect(kept!.confidence).toBe(0.75);
  });

  it('drops a fact under the confidence threshold', async () => {
    const outcomes = await writeFacts(store(), embedder, {
      userId,
      candidates: [fact('Prefers tea', { confidence: defaultWriteFactsOptions.minConfidence - 0.01 })],
    });
    expect(outcomes.map((o) => o.action)).toEqual(['dropped']);
    expect(await current()).toEqual([]);
  });

  it('refreshes a near-duplicate found by embedding instead of storing it again', async () => {
    await writeFacts(store(), embedder, { userId, candidates: [fact('Lives in Berlin', { confidence: 0.7 })] });
    const [outcome] = await writeFacts(store(), embedder, { userId, candidates: [fact('Is based in Berlin')] });
    expect(outcome).toMatchObject({ action: 'refreshed', fact: { factText: 'Lives in Berlin' } });
    expect(await current()).toEqual(['Lives in Berlin']);
    // The higher confidence wins.
    const [stored] = await db().select().from(userFacts).where(eq(userFacts.userId, userId));
    expect(stored!.confidence).toBeCloseTo(0.9);
  });

  it('refreshes a near-duplicate of the same type found by trigram similarity', async () => {
    await writeFacts(store(), embedder, { userId, candidates: [fact('Likes green tea', { factType: 'preference' })] });
    const [outcome] = await writeFacts(store(), embedder, {
      userId,
      candidates: [fact('likes green tea.', { factType: 'preference' })],
    });
    expect(outcome!.action).toBe('refreshed');
    expect(await current()).toEqual(['Likes green tea']);
  });

  it('finds the duplicate of a fact too long for the covering index by its wording too', async () => {
    // Under 500 characters, over 500 bytes (the covering index of migration 0024 holds the rest).
    const long = 'Aime la crème brûlée, le café au lait et les étés à Évian près du lac. '.repeat(7).trim();
    const said = `${long.toLowerCase()}!`;
    expect(Buffer.byteLength(long)).toBeGreaterThan(500);
    // Embedded apart: only the wording can tell they are one fact.
    const apart = scriptedEmbedder({ [long]: axisVector(40), [said]: axisVector(50) });
    await writeFacts(store(), apart, { userId, candidates: [fact(long, { factType: 'preference' })] });
    const [outcome] = await writeFacts(store(), apart, { userId, candidates: [fact(said, { factType: 'preference' })] });
    expect(outcome!.action).toBe('refreshed');
    expect(await current()).toEqual([long]);
  });

  it('does not treat a similar text of another type as the same fact', async () => {
    await writeFacts(store(), embedder, { userId, candidates: [fact('Likes green tea', { factType: 'preference' })] });
    const [outcome] = await writeFacts(store(), embedder, {
      userId,
      candidates: [fact('likes green tea.', { factType: 'constraint' })],
    });
    expect(outcome!.action).toBe('added');
  });

  it('stores a contradicting fact as the successor and keeps the old one as history', async () => {
    const [paris] = await writeFacts(store(), embedder, { userId, candidates: [fact('Lives in Paris')] });
    const parisId = paris!.action === 'added' ? paris!.fact.id : '';
    const [berlin] = await writeFacts(store(), embedder, {
      userId,
      candidates: [fact('Lives in Berlin', { supersedes: [parisId] })],
    });
    expect(berlin!.action).toBe('added');
    expect(berlin!.action !== 'dropped' && berlin!.superseded).toEqual([parisId]);

    const [old] = await db().select().from(userFacts).where(eq(userFacts.id, parisId));
    expect(old!.supersededAt).toBeInstanceOf(Date);
    expect(old!.supersededBy).toBe(berlin!.action === 'added' ? berlin!.fact.id : '');
    expect(await current()).toEqual(['Lives in Berlin']);
    // History is never searched: its embedding goes, so vector search reads current facts only.
    expect(await db().select().from(factEmbeddings).where(eq(factEmbeddings.factId, parisId))).toEqual([]);
  });

  it('supersedes through an existing duplicate when the new fact is already known', async () => {
    await writeFacts(store(), embedder, { userId, candidates: [fact('Likes green tea', { factType: 'preference' })] });
    const [coffee] = await writeFacts(store(), embedder, { userId, candidates: [fact('Prefers tea', { factType: 'preference' })] });
    const coffeeId = coffee!.action === 'added' ? coffee!.fact.id : '';
    const [outcome] = await writeFacts(store(), embedder, {
      userId,
      candidates: [fact('likes green tea.', { factType: 'preference', supersedes: [coffeeId] })],
    });
    expect(outcome).toMatchObject({ action: 'refreshed', superseded: [coffeeId] });
    expect(await current()).toEqual(['Likes green tea']);
  });

  it('keeps one value of a single-valued attribute: a new home supersedes the old, whatever the similarity', async () => {
    const [paris] = await writeFacts(store(), embedder, { userId, candidates: [fact('Lives in Paris')] });
    // The extractor marked nothing as replaced, and the embeddings are not close enough to call it a duplicate.
    const [berlin] = await writeFacts(store(), embedder, { userId, candidates: [fact('Lives in Berlin')] });
    expect(berlin).toMatchObject({ action: 'added', superseded: [paris!.action === 'added' ? paris!.fact.id : ''] });
    expect(await current()).toEqual(['Lives in Berlin']);
    // The same home, worded otherwise, is the same fact.
    const [again] = await writeFacts(store(), embedder, { userId, candidates: [fact('Is based in Berlin')] });
    expect(again).toMatchObject({ action: 'refreshed', superseded: [] });
    expect(await current()).toEqual(['Lives in Berlin']);
    const history = await db().select().from(userFacts).where(and(eq(userFacts.userId, userId), eq(userFacts.factText, 'Lives in Paris')));
    expect(history).toMatchObject([{ supersededBy: berlin!.action === 'added' ? berlin!.fact.id : '' }]);
  });

  it('never supersedes another user’s fact, whatever id it is given', async () => {
    const otherId = (await createAnonymousUser(db())).id;
    const [theirs] = await writeFacts(store(), embedder, { userId: otherId, candidates: [fact('Lives in Paris')] });
    const theirId = theirs!.action === 'added' ? theirs!.fact.id : '';
    const [mine] = await writeFacts(store(), embedder, {
      userId,
      candidates: [fact('Lives in Berlin', { supersedes: [theirId] })],
    });
    expect(mine!.action !== 'dropped' && mine!.superseded).toEqual([]);
    const [untouched] = await db().select().from(userFacts).where(eq(userFacts.id, theirId));
    expect(untouched!.supersededAt).toBeNull();
  });

  it('does not store the same fact twice within one batch', async () => {
    const outcomes = await writeFacts(store(), embedder, {
      userId,
      candidates: [fact('Lives in Berlin'), fact('Is based in Berlin'), fact('Prefers tea', { factType: 'preference' })],
    });
    expect(outcomes.map((o) => o.action)).toEqual(['added', 'refreshed', 'added']);
    expect(await current()).toEqual(['Lives in Berlin', 'Prefers tea']);
  });

  it('lets a later fact of a batch replace, or be the same as, what an earlier one stored', async () => {
    const outcomes = await writeFacts(store(), embedder, {
      userId,
      candidates: [fact('Lives in Paris'), fact('Likes green tea', { factType: 'preference' }), fact('Lives in Berlin'), fact('likes green tea.', { factType: 'preference' })],
    });
    const [paris, tea] = outcomes.map((o) => (o.action === 'dropped' ? '' : o.fact.id));
    expect(outcomes).toMatchObject([
      { action: 'added', superseded: [] },
      { action: 'added', superseded: [] },
      { action: 'added', superseded: [paris] },
      { action: 'refreshed', fact: { id: tea } },
    ]);
    expect(await current()).toEqual(['Likes green tea', 'Lives in Berlin']);
  });

  it('never folds a fact of a batch into one an earlier fact of the batch replaced', async () => {
    await writeFacts(store(), embedder, { userId, candidates: [fact('Lives in Paris')] });
    // Berlin replaces the stored Paris; the paraphrase of Paris is then a move back, not a duplicate of it.
    const outcomes = await writeFacts(store(), embedder, { userId, candidates: [fact('Lives in Berlin'), fact('Is based in Paris')] });
    const berlin = outcomes[0]!.action === 'added' ? outcomes[0]!.fact.id : '';
    expect(outcomes).toMatchObject([{ action: 'added' }, { action: 'added', superseded: [berlin] }]);
    expect(await current()).toEqual(['Is based in Paris']);
  });

  it('stores nothing when embedding fails, and raises', async () => {
    const failing = { ...embedder, embed: async () => Promise.reject(new Error('embedding service down')) };
    await expect(writeFacts(store(), failing, { userId, candidates: [fact('Prefers tea')] })).rejects.toThrow(
      'embedding service down',
    );
    expect(await current()).toEqual([]);
  });

  it('rolls back every fact of the batch when one cannot be stored', async () => {
    const tooWide = scriptedEmbedder({ 'Prefers tea': new Array(4000).fill(0.01) });
    await expect(
      writeFacts(store(), tooWide, { userId, candidates: [fact('Lives in Paris'), fact('Prefers tea')] }),
    ).rejects.toThrow(/returned 4000 dimensions/);
    expect(
      await db().select().from(userFacts).where(and(eq(userFacts.userId, userId))),
    ).toEqual([]);
  });
});
