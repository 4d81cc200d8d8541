import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '@/lib/db/client';
import { selectRows } from '@/lib/db/rows';
import { retrieveFacts } from '@/lib/memory/retrieve';
import { databaseBefore } from '../../helpers/migrations';

/** A unit vector along `axis`, zero-padded to 1536 as every vector was before 0012. */
function padded(axis: number): string {
  const v = new Array<number>(1536).fill(0);
  v[axis] = 1;
  return JSON.stringify(v);
}

describe('migration 0012: vectors at their embedder\'s width', () => {
  let before: Awaited<ReturnType<typeof databaseBefore>>;
  let handle: DatabaseHandle;
  let userId: string;

  beforeAll(async () => {
    before = await databaseBefore('0012_exact_width_vectors');
    ({ handle } = before);
    // In SQL, not createAnonymousUser: the schema of today has columns 0011 did not (session_version).
    userId = (await selectRows<{ id: string }>(handle.db, sql`INSERT INTO users (is_anonymous) VALUES (true) RETURNING id`))[0]!.id;
    // What 0011 stored: every vector zero-padded to 1536, whatever its model's width.
    for (const [model, text] of [
      ['offline-glove-hashed-v1', 'Lives in Lyon'],
      ['text-embedding-3-small@512', 'Is vegetarian'],
      ['local-embedder', 'Plays the cello'],
    ] as const) {
      await handle.db.execute(sql`
        WITH fact AS (
          INSERT INTO user_facts (user_id, fact_type, fact_text, confidence) VALUES (${userId}, 'personal_context', ${text}, 0.9)
          RETURNING id
        )
        INSERT INTO fact_embeddings (fact_id, user_id, model, embedding)
        SELECT id, ${userId}, ${model}, ${padded(3)}::halfvec FROM fact`);
    }
    await before.upgrade();
  });
  afterAll(() => before?.close());

  it('unpads the vectors of models whose width is known, keeping their values', async () => {
    const rows = await selectRows<{ model: string; width: number; first: string }>(
      handle.db,
      sql`SELECT model, vector_dims(embedding) AS width, subvector(embedding, 1, 5)::text AS first
          FROM fact_embeddings WHERE user_id = ${userId} ORDER BY model`,
    );
    expect(rows).toEqual([
      { model: 'local-embedder', width: 1536, first: '[0,0,0,1,0]' },
      { model: 'offline-glove-hashed-v1', width: 612, first: '[0,0,0,1,0]' },
      { model: 'text-embedding-3-small@512', width: 512, first: '[0,0,0,1,0]' },
    ]);
  });

  it('skips a vector whose width is not its model\'s instead of failing the search', async () => {
    const query = new Array<number>(768).fill(0);
    query[3] = 1;
    const found = await retrieveFacts(handle.db, { userId, model: 'local-embedder', vector: query, text: 'cello' });
    // Found by its words only: the stale 1536-d vector is not compared with a 768-d question.
    expect(found.map((f) => [f.factText, f.similarity])).toEqual([['Plays the cello', null]]);
  });
});
