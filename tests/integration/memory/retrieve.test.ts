import { eq } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { createAnonymousUser } from '@/lib/db/queries';
import { userFacts } from '@/lib/db/schema';
import { recordFactAccess } from '@/lib/memory/fact-store';
import { loadStandingFacts, retrieveFacts, type RetrieveOptions } from '@/lib/memory/retrieve';
import { writeFacts, type CandidateFact } from '@/lib/memory/write-facts';
import { axisVector, scriptedEmbedder } from '../../helpers/models';
import { describeOnEngine } from '../engines';

const facts: Record<string, number[]> = {
  'Prefers dark roast coffee': axisVector(0),
  'Drinks coffee every morning': axisVector(0, 0.5), // cosine 0.89 to the coffee query
  'Is learning Rust': axisVector(10),
  'Has a dog called Biscuit': axisVector(20), // far from every query below in embedding space
  'Lives in Paris': axisVector(30),
};
const embedder = scriptedEmbedder(facts);
const candidate = (factText: string): CandidateFact => ({
  factType: 'personal_context',
  factText,
  confidence: 0.9,
  supersedes: [],
});

describeOnEngine('the retriever', (db, engine, store) => {
  let userId: string;
  let otherUserId: string;
  const vector = { k: 8, minSimilarity: 0.65, ranking: 'vector' } satisfies RetrieveOptions;
  const hybrid = { ...vector, ranking: 'hybrid' } satisfies RetrieveOptions;
  const ask = (text: string, queryVector: number[], options: RetrieveOptions, user = userId) =>
    retrieveFacts(db(), { userId: user, model: embedder.model, vector: queryVector, text }, options);

  beforeAll(async () => {
    userId = (await createAnonymousUser(db())).id;
    otherUserId = (await createAnonymousUser(db())).id;
    await writeFacts(store(), embedder, { userId, candidates: Object.keys(facts).map(candidate) });
    // Another user's fact, identical in text and vector to one of ours.
    await writeFacts(store(), embedder, { userId: otherUserId, candidates: [candidate('Prefers dark roast coffee')] });
  });

  it('ranks the user’s facts by cosine similarity, above the minimum only', async () => {
    const found = await ask('what coffee should I buy?', axisVector(0, 0.1), vector);
    expect(found.map((f) => f.factText)).toEqual(['Prefers dark roast coffee', 'Drinks coffee every morning']);
    expect(found[0]!.similarity).toBeGreaterThan(found[1]!.similarity!);
    expect(found[1]!.similarity).toBeGreaterThan(0.65);
  });

  it('honours k', async () => {
    const found = await ask('coffee', axisVector(0, 0.1), { ...vector, k: 1 });
    expect(found.map((f) => f.factText)).toEqual(['Prefers dark roast coffee']);
  });

  it('finds a name by its words when the embedding misses it (hybrid)', async () => {
    const query = axisVector(40); // unrelated direction: vector search finds nothing
    expect(await ask('How is Biscuit doing?', query, vector)).toEqual([]);
    const found = await ask('How is Biscuit doing?', query, hybrid);
    expect(found.map((f) => f.factText)).toEqual(['Has a dog called Biscuit']);
    expect(found[0]!.similarity).toBeLessThan(0.65);
  });

  it('fuses both rankings: a fact found by both comes first', async () => {
    // Vector ranking puts the dark roast first; only "morning" matches a word.
    const found = await ask('my morning routine', axisVector(0, 0.1), hybrid);
    expect(found[0]!.factText).toBe('Drinks coffee every morning');
    expect(found.map((f) => f.factText)).toContain('Prefers dark roast coffee');
  });

  it('never returns a superseded fact', async () => {
    const [paris] = await db().select().from(userFacts).where(eq(userFacts.factText, 'Lives in Paris'));
    const moved = scriptedEmbedder({ 'Lives in Lyon': axisVector(30, 0.3) });
    await writeFacts(store(), moved, {
      userId,
      candidates: [{ ...candidate('Lives in Lyon'), supersedes: [paris!.id] }],
    });
    const found = await retrieveFacts(
      db(),
      { userId, model: moved.model, vector: axisVector(30), text: 'where do I live? Paris?' },
      hybrid,
    );
    expect(found.map((f) => f.factText)).toEqual(['Lives in Lyon']);
  });

  it('never returns another user’s facts', async () => {
    const found = await ask('dark roast coffee', axisVector(0), hybrid, otherUserId);
    expect(found).toHaveLength(1);
    const [row] = await db().select().from(userFacts).where(eq(userFacts.id, found[0]!.id));
    expect(row!.userId).toBe(otherUserId);
  });

  it('compares only vectors of the same embedding model', async () => {
    const found = await retrieveFacts(
      db(),
      { userId, model: 'another-model', vector: axisVector(0), text: 'xyzzy' },
      hybrid,
    );
    expect(found).toEqual([]);
  });

  it('bumps the access statistics of exactly the facts returned', async () => {
    const found = await ask('coffee', axisVector(0), { ...vector, k: 1 });
    await recordFactAccess(db(), userId, found.map((f) => f.id));
    await recordFactAccess(db(), otherUserId, found.map((f) => f.id)); // not theirs: no effect
    const rows = await db().select().from(userFacts).where(eq(userFacts.userId, userId));
    const touched = rows.filter((r) => r.accessCount > 0);
    expect(touched.map((r) => r.id)).toEqual([found[0]!.id]);
    expect(touched[0]!.accessCount).toBe(1);
    expect(touched[0]!.lastAccessed).toBeInstanceOf(Date);
  });

  it('stands on the whole memory while it fits the limit, else on the constraints and who the user is', async () => {
    const me = (await createAnonymousUser(db())).id;
    const allergy = { ...candidate('Is allergic to peanuts'), factType: 'constraint' as const };
    await writeFacts(store(), embedder, { userId: me, candidates: [allergy, ...['Lives in Paris', 'Prefers dark roast coffee', 'Is learning Rust', 'Has a dog called Biscuit'].map(candidate)] });
    const standing = (limit: number) => store().readAsUser(me, (tx) => loadStandingFacts(tx, me, limit), { oneStatement: true });

    const whole = await standing(5);
    expect(whole.complete).toBe(true);
    expect(whole.facts.map((f) => f.factText).slice(0, 2)).toEqual(['Is allergic to peanuts', 'Lives in Paris']);
    expect(whole.facts).toHaveLength(5);
    const part = await standing(4);
    expect(part.complete).toBe(false);
    expect(part.facts.map((f) => f.factText)).toEqual(['Is allergic to peanuts', 'Lives in Paris']);
    expect([...part.always].sort()).toEqual(part.facts.map((f) => f.id).sort());
  });
});
