import { beforeAll, expect, it } from 'vitest';
import {
  appendTurn,
  createAnonymousUser,
  createConversation,
  getConversation,
  listConversations,
  listTurns,
} from '@/lib/db/queries';
import type { Conversation } from '@/lib/db/schema';
import { describeOnEngine } from '../engines';

describeOnEngine("one user's rows are never another's", (db) => {
  let alice: string;
  let bob: string;
  let alicesChat: Conversation;

  beforeAll(async () => {
    alice = (await createAnonymousUser(db())).id;
    bob = (await createAnonymousUser(db())).id;
    alicesChat = await createConversation(db(), alice, 'Alice plans a trip');
    await appendTurn(db(), alice, { conversationId: alicesChat.id, role: 'user', content: 'I live in Lyon' });
    await createConversation(db(), bob, 'Bob');
  });

  it('lists only the caller’s conversations', async () => {
    expect((await listConversations(db(), alice)).map((c) => c.title)).toEqual(['Alice plans a trip']);
    expect((await listConversations(db(), bob)).map((c) => c.title)).toEqual(['Bob']);
  });

  it('names a conversation not titled yet by the start of its first message', async () => {
    const carol = (await createAnonymousUser(db())).id;
    const untitled = await createConversation(db(), carol);
    await appendTurn(db(), carol, { conversationId: untitled.id, role: 'user', content: `I'm allergic to peanuts. ${'And more. '.repeat(20)}` });
    const [listed] = await listConversations(db(), carol);
    expect(listed).toEqual({ id: untitled.id, title: expect.stringMatching(/^I'm allergic to peanuts\. And more/) });
    expect(listed!.title!.length).toBe(80);
  });

  it('does not find another user’s conversation by its id', async () => {
    expect(await getConversation(db(), bob, alicesChat.id)).toBeUndefined();
    expect((await getConversation(db(), alice, alicesChat.id))?.id).toBe(alicesChat.id);
  });

  it('does not return another user’s turns by conversation id', async () => {
    expect(await listTurns(db(), bob, alicesChat.id)).toEqual([]);
    expect((await listTurns(db(), alice, alicesChat.id)).map((t) => t.content)).toEqual(['I live in Lyon']);
  });

  it('refuses to append a turn to another user’s conversation and writes nothing', async () => {
    const stored = await appendTurn(db(), bob, { conversationId: alicesChat.id, role: 'user', content: 'hijack' });
    expect(stored).toBeUndefined();
    expect((await listTurns(db(), alice, alicesChat.id)).map((t) => t.content)).toEqual(['I live in Lyon']);
  });
});
