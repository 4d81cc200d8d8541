import { and, cosineDistance, eq, sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { createAnonymousUser } from '@/lib/db/queries';
import { factEmbeddings, userFacts } from '@/lib/db/schema';
import { selectRows } from '@/lib/db/rows';
import { describeOnEngine } from '../engines';

/** Any width is stored as it is: this test's embedder is 64-dimensional. */
const WIDTH = 64;

/** A unit vector pointing mostly along `axis`, a little along `axis + 1`. */
function vectorNear(axis: number, lean = 0): number[] {
  const v = new Array<number>(WIDTH).fill(0);
  v[axis] = 1;
  v[axis + 1] = lean;
  return v;
}

describeOnEngine('pgvector and pg_trgm', (db) => {
  let userId: string;
  let otherUserId: string;

  beforeAll(async () => {
    userId = (await createAnonymousUser(db())).id;
    otherUserId = (await createAnonymousUser(db())).id;
    const facts = [
      { userId, text: 'Prefers dark roast coffee', vector: vectorNear(0) },
      { userId, text: 'Is learning Rust', vector: vectorNear(10) },
      { userId, text: 'Lives in Berlin', vector: vectorNear(20) },
      // The other user's fact is the closest of all to the query below.
      { userId: otherUserId, text: 'Prefers espresso', vector: vectorNear(0, 0.01) },
    ];
    for (const fact of facts) {
      const [row] = await db()
        .insert(userFacts)
        .values({ userId: fact.userId, factType: 'preference', factText: fact.text, confidence: 0.9 })
        .returning();
      await db()
        .insert(factEmbeddings)
        .values({ factId: row!.id, userId: fact.userId, model: 'test', embedding: fact.vector });
    }
  });

  it('stores a vector and finds it again by cosine distance, inside one user', async () => {
    const query = vectorNear(0, 0.3);
    const distance = cosineDistance(factEmbeddings.embedding, query);
    const nearest = await db()
      .select({ text: userFacts.factText, distance })
      .from(factEmbeddings)
      .innerJoin(userFacts, eq(userFacts.id, factEmbeddings.factId))
      .where(and(eq(factEmbeddings.userId, userId), eq(factEmbeddings.model, 'test')))
      .orderBy(distance)
      .limit(2);

    expect(nearest.map((n) => n.text)).toEqual(['Prefers dark roast coffee', 'Is learning Rust']);
    // 1 - cos(angle) for (1, 0.3) against (1, 0): half precision keeps three decimals.
    expect(nearest[0]!.distance).toBeCloseTo(1 - 1 / Math.sqrt(1.09), 3);
  });

  it('round-trips the stored vector at half precision', async () => {
    const [stored] = await db()
      .select({ embedding: factEmbeddings.embedding })
      .from(factEmbeddings)
      .innerJoin(userFacts, eq(userFacts.id, factEmbeddings.factId))
      .where(and(eq(factEmbeddings.userId, userId), eq(userFacts.factText, 'Is learning Rust')));
    expect(stored!.embedding).toHaveLength(WIDTH);
    expect(stored!.embedding[10]).toBe(1);
  });

  it('ranks facts by trigram similarity to a misspelt word', async () => {
    const rows = await selectRows<{ fact_text: string; score: number }>(
      db(),
      sql`SELECT fact_text, similarity(fact_text, ${'lives in Berlinn'}) AS score
          FROM user_facts WHERE user_id = ${userId} AND fact_text % ${'lives in Berlinn'}
          ORDER BY score DESC`,
    );
    expect(rows.map((r) => r.fact_text)).toEqual(['Lives in Berlin']);
    expect(rows[0]!.score).toBeGreaterThan(0.7);
  });
});
