import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '@/lib/db/client';
import { createConversation } from '@/lib/db/queries';
import { selectRows } from '@/lib/db/rows';
import { defaultEpisodeOptions, retrieveEpisodes } from '@/lib/memory/episodes';
import { databaseBefore } from '../../helpers/migrations';

describe('migration 0023: the sign bits of the episodes kept before it', () => {
  let before: Awaited<ReturnType<typeof databaseBefore>>;
  let handle: DatabaseHandle;
  let userId: string;
  let conversationId: string;
  const said = ['We hiked the Dolomites in September.', 'My cousin plays the cello.', 'I am learning Portuguese.'];
  const vectors = ['[1,-2,0,3]', '[-1,2,0.5,-3]', '[0.2,0.1,-4,1]'];
  let turns: number[];

  beforeAll(async () => {
    before = await databaseBefore('0023_episode_bits');
    ({ handle } = before);
    // In SQL, as 0022's schema had it: three kept messages with their vectors.
    [{ id: userId }] = (await selectRows<{ id: string }>(handle.db, sql`INSERT INTO users (is_anonymous) VALUES (true) RETURNING id`)) as [{ id: string }];
    [{ id: conversationId }] = (await selectRows<{ id: string }>(
      handle.db,
      sql`INSERT INTO conversations (user_id, title) VALUES (${userId}, 'Hobbies') RETURNING id`,
    )) as [{ id: string }];
    turns = [];
    for (const [i, content] of said.entries()) {
      const [turn] = await selectRows<{ id: string }>(
        handle.db,
        sql`INSERT INTO conversation_turns (user_id, conversation_id, role, content) VALUES (${userId}, ${conversationId}, 'user', ${content}) RETURNING id`,
      );
      turns.push(Number(turn!.id));
      await handle.db.execute(sql`
        INSERT INTO episode_embeddings (turn_id, user_id, conversation_id, model, embedding)
        VALUES (${turn!.id}, ${userId}, ${conversationId}, 'm', ${vectors[i]!}::halfvec)`);
    }
    await before.upgrade();
  });
  afterAll(() => before?.close());

  it('gives each kept episode the sign bits of its vector', async () => {
    const rows = await selectRows<{ turn_id: string; bits: string }>(
      handle.db,
      sql`SELECT turn_id, embedding_bits::text AS bits FROM episode_embeddings WHERE user_id = ${userId} ORDER BY turn_id`,
    );
    expect(rows.map((r) => [Number(r.turn_id), r.bits])).toEqual([
      [turns[0], '1001'],
      [turns[1], '0110'],
      [turns[2], '1101'],
    ]);
  });

  it('leaves the rewritten table vacuumed, so searches read the covering index alone', async () => {
    const [table] = await selectRows<{ pages: number; visible: number }>(
      handle.db,
      sql`SELECT relpages AS pages, relallvisible AS visible FROM pg_class WHERE oid = 'episode_embeddings'::regclass`,
    );
    expect(table!.pages).toBeGreaterThan(0);
    expect(table!.visible).toBe(table!.pages);
  });

  it('finds a kept episode by meaning from a later chat', async () => {
    const { id: later } = await createConversation(handle.db, userId, 'Later');
    const found = await retrieveEpisodes(
      handle.db,
      // Near the second message's vector, sharing none of its words.
      { userId, model: 'm', vector: [-1, 2, 0.4, -2.5], text: 'Which instrument?', excludeConversationId: later },
      { ...defaultEpisodeOptions, k: 1, minSimilarity: 0.9 },
    );
    expect(found.map((e) => e.turnId)).toEqual([turns[1]]);
  });
});
