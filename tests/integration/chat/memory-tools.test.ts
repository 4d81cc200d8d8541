/** The memory tools inside a chat turn: offline by rules, and Claude's tool use through the fake vendor. */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { hashedEmbedder } from '@/lib/ai/offline/hashed-embedder';
import { offlineChat } from '@/lib/ai/offline/reply-writer';
import type { ChatFn } from '@/lib/ai/types';
import type { TurnEvent } from '@/lib/chat/events';
import { startTurn, streamReply, temporaryReply } from '@/lib/chat/turn';
import { createAnonymousUser } from '@/lib/db/queries';
import { conversationTurns, conversations, userFacts } from '@/lib/db/schema';
import { setMemorySwitches } from '@/lib/memory/manage-facts';
import { writeFacts } from '@/lib/memory/write-facts';
import { startFakeVendorServer, type FakeVendorServer } from '@/tests/fakes/vendor-server';
import { chatDeps, fakeClaude } from '../../helpers/chat';
import { describeOnEngine } from '../engines';

let fake: FakeVendorServer;
beforeAll(async () => {
  fake = await startFakeVendorServer();
});
afterAll(() => fake.close());

describeOnEngine('memory tools in the chat', (db, engine, store) => {
  let userId: string;
  const deps = (chat?: ChatFn) => chatDeps(store(), { chat });

  async function send(message: string, chat?: ChatFn, memoryEnabled = true) {
    const d = deps(chat);
    const started = await startTurn(d, { id: userId, memoryEnabled }, { message });
    if (!started.ok) throw new Error(started.error);
    const events: TurnEvent[] = [];
    for await (const event of streamReply(d, started.turn, new AbortController().signal)) events.push(event);
    return { events, reply: events.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('') };
  }
  const current = async () =>
    (await db().select().from(userFacts).where(eq(userFacts.userId, userId))).filter((f) => !f.supersededAt).map((f) => f.factText).sort();

  beforeEach(async () => {
    userId = (await createAnonymousUser(db())).id;
    fake.reset();
    await writeFacts(store(), hashedEmbedder, {
      userId,
      candidates: ['Lives in Paris', 'Lives near the Louvre museum', 'Plays the cello'].map((factText) => ({
        factType: 'personal_context' as const,
        factText,
        confidence: 0.9,
        supersedes: [],
      })),
    });
  });

  it('offline: lists, remembers and forgets on request, and says what changed', async () => {
    const listed = await send('What do you remember about me?');
    expect(listed.reply).toContain('Plays the cello');
    expect(listed.events.some((e) => e.type === 'memory')).toBe(false);

    // Remembered as the extractor reads it: typed, in the third person, from this conversation.
    const remembered = await send('Remember that I prefer green tea.');
    expect(remembered.events).toContainEqual(
      expect.objectContaining({ type: 'memory', action: 'remembered', facts: [expect.objectContaining({ factText: 'Prefers green tea', factType: 'preference' })] }),
    );
    const [tea] = await db().select().from(userFacts).where(and(eq(userFacts.userId, userId), eq(userFacts.factText, 'Prefers green tea')));
    const start = remembered.events[0];
    expect(tea!.sourceConversationId).toBe(start?.type === 'start' ? start.conversationId : 'none');

    const allergy = await send("Please remember that I'm allergic to shellfish");
    expect(allergy.events).toContainEqual(
      expect.objectContaining({ action: 'remembered', facts: [expect.objectContaining({ factText: 'Is allergic to shellfish', factType: 'constraint' })] }),
    );

    const forgot = await send('Forget that I live in Paris');
    expect(forgot.events).toContainEqual(expect.objectContaining({ type: 'memory', action: 'forgot', facts: [expect.objectContaining({ factText: 'Lives in Paris' })] }));
    expect(await current()).toEqual(['Is allergic to shellfish', 'Lives near the Louvre museum', 'Plays the cello', 'Prefers green tea']);
  });

  it("Claude's tool calls act on this user's facts only, and the answer follows the results", async () => {
    const stranger = (await createAnonymousUser(db())).id;
    await writeFacts(store(), hashedEmbedder, { userId: stranger, candidates: [{ factType: 'personal_context', factText: 'Lives in Paris', confidence: 0.9, supersedes: [] }] });
    fake.script(
      { text: 'Let me do that.', toolCalls: [{ name: 'forget', input: { description: 'lives in Paris' } }] },
      { text: 'Done: I forgot that you live in Paris.' },
    );
    const { reply, events } = await send('Please forget that I live in Paris', fakeClaude(fake).chat);
    expect(reply).toBe('Let me do that.\n\nDone: I forgot that you live in Paris.');
    // The stored answer is what was shown.
    const done = events.at(-1);
    const [stored] = await db().select().from(conversationTurns).where(eq(conversationTurns.id, done?.type === 'done' ? done.assistantTurnId! : 0));
    expect(stored!.content).toBe(reply);
    expect(events.filter((e) => e.type === 'memory')).toHaveLength(1);

    const [first, second] = fake.requests;
    expect(JSON.stringify(first!.body.tools)).toContain('list_my_memories');
    expect(JSON.stringify(second!.body.messages)).toContain('Deleted:\\n- Lives in Paris');
    expect(await current()).toEqual(['Lives near the Louvre museum', 'Plays the cello']);
    const theirs = await db().select().from(userFacts).where(eq(userFacts.userId, stranger));
    expect(theirs.map((f) => f.factText)).toEqual(['Lives in Paris']);
  });

  it('offers no memory tools while memory is off', async () => {
    await setMemorySwitches(db(), userId, { memoryEnabled: false });
    const { reply } = await send('Forget that I live in Paris', offlineChat, false);
    expect(reply).toContain("I'm running offline");
    expect(await current()).toHaveLength(3);
  });

  it('a temporary chat stores nothing and uses no memory', async () => {
    const before = await db().select().from(conversations).where(eq(conversations.userId, userId));
    const events: TurnEvent[] = [];
    for await (const event of temporaryReply(deps(), [{ role: 'user', content: 'Where do I live?' }], new AbortController().signal)) events.push(event);
    expect(events[0]).toEqual({ type: 'start', conversationId: null, userTurnId: null, memories: [], offline: true });
    expect(events.at(-1)).toEqual({ type: 'done', assistantTurnId: null, status: 'complete' });
    expect(await db().select().from(conversations).where(eq(conversations.userId, userId))).toEqual(before);
  });
});
