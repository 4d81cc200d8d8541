/**
 * What deleting a fact does to the rows that point at it, now that no foreign key does it
 * (migration 0020): its vectors go, and the facts it had replaced keep no pointer to it, however
 * the facts are deleted (one by the person, many across users by the nightly job, all with the
 * user), and also when the delete races a unit that is making it a successor.
 */
import { eq, sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { createAnonymousUser } from '@/lib/db/queries';
import { selectRows } from '@/lib/db/rows';
import { factEmbeddings, userFacts, users } from '@/lib/db/schema';
import { deleteFacts, deleteFactsWhere, storeFactVectors, supersede } from '@/lib/memory/fact-store';
import { writeFacts } from '@/lib/memory/write-facts';
import { hashedEmbedder, hashedVector } from '@/lib/ai/offline/hashed-embedder';
import { describeOnEngine } from '../engines';

describeOnEngine('deleting facts', (db, engine, store) => {
  let userId: string;
  let stranger: string;

  async function add(owner: string, factText: string) {
    const [outcome] = await writeFacts(store(), hashedEmbedder, {
      userId: owner,
      candidates: [{ factType: 'personal_context', factText, confidence: 0.9, supersedes: [] }],
    });
    if (outcome?.action !== 'added') throw new Error(`not added: ${factText}`);
    return outcome.fact.id;
  }
  const factById = async (id: string) => (await db().select().from(userFacts).where(eq(userFacts.id, id)))[0];
  const vectorsOf = async (id: string) => (await db().select().from(factEmbeddings).where(eq(factEmbeddings.factId, id))).length;
  /** Vectors whose fact is gone, and pointers to a fact that is gone, in the whole database. */
  const dangling = async () =>
    (
      await selectRows<{ vectors: number; pointers: number }>(
        db(),
        sql`SELECT (SELECT count(*)::int FROM fact_embeddings e WHERE NOT EXISTS (SELECT 1 FROM user_facts f WHERE f.id = e.fact_id)) AS vectors,
                   (SELECT count(*)::int FROM user_facts h WHERE h.superseded_by IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM user_facts f WHERE f.id = h.superseded_by)) AS pointers`,
      )
    )[0];

  beforeEach(async () => {
    userId = (await createAnonymousUser(db())).id;
    stranger = (await createAnonymousUser(db())).id;
  });

  it('a fact the person deletes takes its vector, and the fact it replaced keeps no pointer to it', async () => {
    const lyon = await add(userId, 'Lives in Lyon');
    const berlin = await add(userId, 'Lives in Berlin');
    expect(await factById(lyon)).toMatchObject({ supersededBy: berlin });
    const strangers = await add(stranger, 'Lives in Berlin');

    expect((await store().asUser(userId, (tx) => deleteFacts(tx, userId, [berlin]))).map((f) => f.id)).toEqual([berlin]);

    expect(await vectorsOf(berlin)).toBe(0);
    expect(await factById(lyon)).toMatchObject({ supersededBy: null, factText: 'Lives in Lyon' });
    expect(await factById(lyon)).not.toMatchObject({ supersededAt: null });
    expect(await vectorsOf(strangers)).toBe(1);
    expect(await dangling()).toEqual({ vectors: 0, pointers: 0 });
  });

  it('one statement deleting facts of many users takes all their vectors, and only theirs', async () => {
    const kept = [await add(userId, 'Plays the cello'), await add(stranger, 'Plays the cello')];
    const doomed = [];
    for (const owner of [userId, stranger]) for (const hobby of ['chess', 'tennis', 'go']) doomed.push(await add(owner, `Plays ${hobby}`));

    const deleted = await store().asSystem((tx) => deleteFactsWhere(tx, sql`fact_text <> 'Plays the cello'`));

    expect(deleted).toBeGreaterThanOrEqual(doomed.length);
    for (const id of doomed) expect(await vectorsOf(id)).toBe(0);
    for (const id of kept) expect(await vectorsOf(id)).toBe(1);
    expect(await dangling()).toEqual({ vectors: 0, pointers: 0 });
  });

  it('deleting a user leaves none of their vectors', async () => {
    await add(userId, 'Lives in Lyon');
    await add(userId, 'Lives in Berlin');
    await db().delete(users).where(eq(users.id, userId));
    expect(await db().select().from(factEmbeddings).where(eq(factEmbeddings.userId, userId))).toEqual([]);
    expect(await dangling()).toEqual({ vectors: 0, pointers: 0 });
  });

  it('a successor must be one of the user’s facts, and a deleted fact gets no vector', async () => {
    const lyon = await add(userId, 'Lives in Lyon');
    const strangers = await add(stranger, 'Lives in Paris');
    expect(await store().asUser(userId, (tx) => supersede(tx, userId, [lyon], strangers))).toEqual([]);
    expect(await factById(lyon)).toMatchObject({ supersededAt: null, supersededBy: null });

    await store().asUser(userId, (tx) => deleteFacts(tx, userId, [lyon]));
    await store().asUser(userId, (tx) => storeFactVectors(tx, hashedEmbedder.model, [lyon], [hashedVector('Lives in Lyon')]));
    expect(await vectorsOf(lyon)).toBe(0);
  });

  it('a delete of a fact that a unit is making a successor waits for it, then clears the pointer', async () => {
    const lyon = await add(userId, 'Lives in Lyon');
    const acme = await add(userId, 'Works at Acme');
    let superseded!: () => void;
    let commit!: () => void;
    const supersedes = new Promise<void>((resolve) => (superseded = resolve));
    const committed = new Promise<void>((resolve) => (commit = resolve));
    const first = store().asUser(userId, async (tx) => {
      await supersede(tx, userId, [lyon], acme);
      superseded();
      await committed;
    });
    await supersedes;
    let deleteDone = false;
    const second = store()
      .asUser(userId, (tx) => deleteFacts(tx, userId, [acme]))
      .then(() => (deleteDone = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(deleteDone).toBe(false);
    commit();
    await Promise.all([first, second]);

    expect(await factById(acme)).toBeUndefined();
    expect(await factById(lyon)).toMatchObject({ supersededBy: null });
    expect(await dangling()).toEqual({ vectors: 0, pointers: 0 });
  });
});
