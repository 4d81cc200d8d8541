import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '@/lib/db/client';
import { createConversation } from '@/lib/db/queries';
import { selectRows } from '@/lib/db/rows';
import { defaultEpisodeOptions, retrieveEpisodes } from '@/lib/memory/episodes';
import { databaseBefore } from '../../helpers/migrations';

describe("migration 0019: the words of the episodes kept before it", () => {
  let before: Awaited<ReturnType<typeof databaseBefore>>;
  let handle: DatabaseHandle;
  let userId: string;
  let turns: Record<'kept' | 'unkept' | 'answer', number>;

  beforeAll(async () => {
    before = await databaseBefore('0019_episode_words');
    ({ handle } = before);
    // In SQL, as 0018's schema had it: a chat with a kept question, one never kept (said with
    // memory off) and an answer.
    [{ id: userId }] = await selectRows<{ id: string }>(handle.db, sql`INSERT INTO users (is_anonymous) VALUES (true) RETURNING id`) as [{ id: string }];
    const [{ id: conversationId }] = (await selectRows<{ id: string }>(
      handle.db,
      sql`INSERT INTO conversations (user_id, title) VALUES (${userId}, 'Trips') RETURNING id`,
    )) as [{ id: string }];
    const turn = async (role: 'user' | 'assistant', content: string) =>
      (await selectRows<{ id: string }>(
        handle.db,
        sql`INSERT INTO conversation_turns (user_id, conversation_id, role, content) VALUES (${userId}, ${conversationId}, ${role}, ${content}) RETURNING id`,
      ))[0]!.id;
    turns = {
      kept: Number(await turn('user', 'We hiked the Dolomites in September.')),
      unkept: Number(await turn('user', 'My cousin lives near the Dolomites.')),
      answer: Number(await turn('assistant', 'The Dolomites are lovely in September.')),
    };
    await handle.db.execute(sql`
      INSERT INTO episode_embeddings (turn_id, user_id, conversation_id, model, embedding)
      VALUES (${turns.kept}, ${userId}, ${conversationId}, 'm', '[1,0,0]')`);
    await before.upgrade();
  });
  afterAll(() => before?.close());

  it('gives each kept episode its words, and nothing else any', async () => {
    const words = await selectRows<{ turn_id: string; word: string }>(
      handle.db,
      sql`SELECT turn_id, word FROM episode_words WHERE user_id = ${userId} ORDER BY word`,
    );
    expect(words.map((w) => [Number(w.turn_id), w.word])).toEqual(
      ['dolomit', 'hike', 'septemb'].map((word) => [turns.kept, word]),
    );
  });

  it('finds the kept episode by its words from a later chat, and not the one never kept', async () => {
    const { id: later } = await createConversation(handle.db, userId, 'Later');
    const found = await retrieveEpisodes(
      handle.db,
      // A vector far from the episode's (similarity 0, under the floor): found by words alone.
      { userId, model: 'm', vector: [0, 1, 0], text: 'Which mountains did we hike in the Dolomites?', excludeConversationId: later },
      { ...defaultEpisodeOptions, minSimilarity: 0.9 },
    );
    expect(found.map((e) => [e.turnId, e.similarity])).toEqual([[turns.kept, 0]]);
  });
});
