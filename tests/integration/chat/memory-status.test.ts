/** What the page polls after a turn: pending, failed, or what the turn taught and what that replaced. */
import { and, eq } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { turnMemoryStatus } from '@/lib/chat/memory-status';
import { appendTurn, createAnonymousUser, createConversation } from '@/lib/db/queries';
import { conversationTurns, userFacts } from '@/lib/db/schema';
import { writeFacts } from '@/lib/memory/write-facts';
import { scriptedEmbedder } from '../../helpers/models';
import { describeOnEngine } from '../engines';

describeOnEngine('the memory status of a turn', (db, engine, store) => {
  let userId: string;
  let conversationId: string;
  const say = async (content: string) => (await appendTurn(db(), userId, { conversationId, role: 'user', content }))!.id;
  const learn = (sourceTurnId: number, factText: string, supersedes: string[] = []) =>
    writeFacts(store(), scriptedEmbedder(), {
      userId,
      sourceConversationId: conversationId,
      sourceTurnId,
      candidates: [{ factType: 'personal_context', factText, confidence: 0.9, supersedes }],
    });

  const idOf = async (factText: string) =>
    (await db().select({ id: userFacts.id }).from(userFacts).where(and(eq(userFacts.userId, userId), eq(userFacts.factText, factText))))[0]!.id;

  beforeEach(async () => {
    userId = (await createAnonymousUser(db())).id;
    conversationId = (await createConversation(db(), userId)).id;
  });

  it('is pending, then failed with an error, and never answers for an answer', async () => {
    const turnId = await say('I live in Oslo');
    expect(await turnMemoryStatus(db(), userId, turnId)).toEqual({ state: 'pending', learned: [], replaced: [] });
    await db().update(conversationTurns).set({ extractionError: 'the vendor is down' }).where(eq(conversationTurns.id, turnId));
    expect(await turnMemoryStatus(db(), userId, turnId)).toEqual({ state: 'failed', learned: [], replaced: [] });
    const answerId = (await appendTurn(db(), userId, { conversationId, role: 'assistant', content: 'Noted.', repliesTo: turnId }))!.id;
    expect(await turnMemoryStatus(db(), userId, answerId)).toBeUndefined();
  });

  it('lists what the turn taught and the facts that replaced, and nothing of a turn that taught nothing', async () => {
    await learn(await say('I live in Oslo'), 'Lives in Oslo');
    const oslo = await idOf('Lives in Oslo');
    const moved = await say('I moved to Bergen');
    await learn(moved, 'Lives in Bergen', [oslo]);
    expect(await turnMemoryStatus(db(), userId, moved)).toEqual({
      state: 'extracted',
      learned: [{ id: await idOf('Lives in Bergen'), factType: 'personal_context', factText: 'Lives in Bergen' }],
      replaced: [{ id: oslo, factType: 'personal_context', factText: 'Lives in Oslo' }],
    });
    const chat = await say('Thanks!');
    await writeFacts(store(), scriptedEmbedder(), { userId, sourceConversationId: conversationId, sourceTurnId: chat, candidates: [] });
    expect(await turnMemoryStatus(db(), userId, chat)).toEqual({ state: 'extracted', learned: [], replaced: [] });
  });
});
