/**
 * `bench:memory --reuse` times every run on the seed's own rows: what earlier runs added to the
 * database (their facts, their conversations with turns and past chats) is taken out first, or
 * each run would time bigger users than the one before.
 */
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { appendTurn, createConversation } from '@/lib/db/queries';
import { selectRows } from '@/lib/db/rows';
import { benchVocabulary } from '../../../scripts/bench/fixtures';
import { describeTables, restoreSeed, seed } from '../../../scripts/bench/seed';
import { describeOnEngine } from '../engines';

describeOnEngine('bench:memory --reuse', (db) => {
  it("takes out what a timed run added and keeps every row of the seed's", async () => {
    const options = { users: 3, factsPerUser: 4, turnsPerUser: 6, conversationsPerUser: 2, vocabulary: benchVocabulary(100), dimensions: 8, model: 'bench-test' };
    const seeded = await seed(db(), options);
    expect(seeded.rows).toMatchObject({ users: 3, user_facts: 12, conversation_turns: 18, episode_embeddings: 18 });

    // What a run leaves behind (fixtures.ts sampleUsers, then the timed turns): a conversation
    // with turns, and the facts learned from them.
    const [user] = await selectRows<{ id: string }>(db(), sql`SELECT id FROM users LIMIT 1`);
    const conversation = await createConversation(db(), user!.id, 'Bench conversation');
    await appendTurn(db(), user!.id, { conversationId: conversation.id, role: 'user', content: 'Tell me more about coffee' });
    await db().execute(sql`INSERT INTO user_facts (user_id, fact_type, fact_text, confidence) VALUES (${user!.id}, 'preference', 'Likes coffee', 0.9)`);
    expect((await describeTables(db())).rows).not.toEqual(seeded.rows);

    expect(await restoreSeed(db())).toMatchObject({ facts: 1, conversations: 1 });
    expect((await describeTables(db())).rows).toEqual(seeded.rows);
  });
});
