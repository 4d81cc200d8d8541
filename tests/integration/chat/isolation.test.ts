/** Every read of chat data is the session user's only: another user's ids find nothing. */
import { beforeAll, expect, it } from 'vitest';
import { loadConversationView } from '@/lib/chat/history';
import { turnMemoryStatus } from '@/lib/chat/memory-status';
import { appendTurn, createAnonymousUser, createConversation, listConversations } from '@/lib/db/queries';
import { writeFacts } from '@/lib/memory/write-facts';
import { scriptedEmbedder } from '../../helpers/models';
import { describeOnEngine } from '../engines';

describeOnEngine('chat reads are per user', (db, engine, store) => {
  let owner: string;
  let stranger: string;
  let conversationId: string;
  let turnId: number;

  beforeAll(async () => {
    owner = (await createAnonymousUser(db())).id;
    stranger = (await createAnonymousUser(db())).id;
    conversationId = (await createConversation(db(), owner, 'Private')).id;
    turnId = (await appendTurn(db(), owner, { conversationId, role: 'user', content: 'I live in Oslo' }))!.id;
    await appendTurn(db(), owner, { conversationId, role: 'assistant', content: 'Noted.', repliesTo: turnId });
    await writeFacts(store(), scriptedEmbedder(), {
      userId: owner,
      sourceConversationId: conversationId,
      sourceTurnId: turnId,
      candidates: [{ factType: 'personal_context', factText: 'Lives in Oslo', confidence: 0.9, supersedes: [] }],
    });
  });

  it('shows the owner the conversation, the turn and what it taught', async () => {
    const view = await loadConversationView(db(), owner, conversationId, 60_000);
    expect(view?.turns.map((t) => t.content)).toEqual(['I live in Oslo', 'Noted.']);
    expect(view?.turns[1]!.learned.map((f) => f.factText)).toEqual(['Lives in Oslo']);
    expect(await turnMemoryStatus(db(), owner, turnId)).toMatchObject({ state: 'extracted', learned: [{ factText: 'Lives in Oslo' }] });
  });

  it('shows another user nothing', async () => {
    expect(await loadConversationView(db(), stranger, conversationId, 60_000)).toBeUndefined();
    expect(await turnMemoryStatus(db(), stranger, turnId)).toBeUndefined();
    expect(await listConversations(db(), stranger)).toEqual([]);
    expect(await appendTurn(db(), stranger, { conversationId, role: 'user', content: 'intruder' })).toBeUndefined();
    expect((await loadConversationView(db(), owner, conversationId, 60_000))?.turns).toHaveLength(2);
  });
});
