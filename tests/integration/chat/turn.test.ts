/**
 * A chat turn end to end below the HTTP layer, on both engines: the message is stored first,
 * memory is read before the answer and written after it, and the answer is stored however the
 * stream ends. Offline providers, and Anthropic's SDK against the fake vendor server.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, expect, it, onTestFinished, vi } from 'vitest';
import { afterTurn } from '@/lib/chat/after-turn';
import type { TurnEvent } from '@/lib/chat/events';
import { startTurn, streamReply, type ChatDeps } from '@/lib/chat/turn';
import { createAnonymousUser, getConversation } from '@/lib/db/queries';
import { conversations, userFacts } from '@/lib/db/schema';
import { startFakeVendorServer, systemPromptOf, type FakeVendorServer } from '@/tests/fakes/vendor-server';
import { chatDeps, fakeClaude, turnsOf as turnsOfUser } from '../../helpers/chat';
import { recordingStore } from '../../helpers/single-shard';
import { describeOnEngine } from '../engines';

let fake: FakeVendorServer;
beforeAll(async () => {
  fake = await startFakeVendorServer();
});
afterAll(() => fake.close());

describeOnEngine('a chat turn', (db, engine, store) => {
  let userId: string;
  const deps = (models?: Parameters<typeof chatDeps>[1]) => chatDeps(store(), models);

  /** Sends one message and reads the whole stream, then runs the after-response work. */
  async function send(d: ChatDeps, message: string, conversationId?: string, signal = new AbortController().signal) {
    const started = await startTurn(d, { id: userId, memoryEnabled: true }, { message, conversationId });
    if (!started.ok) throw new Error(started.error);
    const events: TurnEvent[] = [];
    let reply = '';
    for await (const event of streamReply(d, started.turn, signal)) {
      events.push(event);
      if (event.type === 'text') reply += event.text;
    }
    await afterTurn(d, started.turn, reply);
    return { events, reply, conversationId: started.turn.conversation.id, userTurnId: started.turn.userTurn.id };
  }

  const turnsOf = (conversationId: string) => turnsOfUser(db(), userId, conversationId);

  beforeEach(async () => {
    userId = (await createAnonymousUser(db())).id;
    fake.reset();
  });

  it('stores a new conversation and its first message together, or neither', async () => {
    // A NUL byte, which PostgreSQL text cannot hold, makes the message's insert fail after the
    // conversation's (the route refuses it earlier, with a 400).
    await expect(startTurn(deps(), { id: userId, memoryEnabled: true }, { message: 'half\0way' })).rejects.toThrow();
    expect(await db().select().from(conversations).where(eq(conversations.userId, userId))).toEqual([]);
  });

  it('offline: learns a fact in one chat and uses it in a new one', async () => {
    const first = await send(deps(), "Hi! I'm allergic to peanuts.");
    expect(first.events[0]).toMatchObject({ type: 'start', memories: [], offline: true });
    expect(first.events.at(-1)).toMatchObject({ type: 'done', status: 'complete' });
    const facts = await db().select().from(userFacts).where(eq(userFacts.userId, userId));
    expect(facts).toMatchObject([{ factText: 'Is allergic to peanuts', sourceTurnId: first.userTurnId }]);
    expect((await getConversation(db(), userId, first.conversationId))!.title).toBe("Hi! I'm allergic to peanuts");

    const second = await send(deps(), 'Can you suggest a snack without peanuts?');
    expect(second.conversationId).not.toBe(first.conversationId);
    expect(second.events[0]).toMatchObject({ type: 'start', memories: [{ factText: 'Is allergic to peanuts' }] });
    expect(second.reply).toContain('- Is allergic to peanuts');
    const [, answer] = await turnsOf(second.conversationId);
    expect(answer).toMatchObject({ role: 'assistant', status: 'complete', memoryFactIds: [facts[0]!.id] });
    // Exactly the facts the answer used had their use counted.
    const [used] = await db().select().from(userFacts).where(eq(userFacts.id, facts[0]!.id));
    expect(used).toMatchObject({ accessCount: facts[0]!.accessCount + 1 });
    expect(used!.lastAccessed).not.toBeNull();
  });

  it('waits for the disk to keep the message and the answer, not what the work after the answer would redo', async () => {
    const recorded = recordingStore(db(), engine);
    const d = chatDeps(recorded.store);
    const started = await startTurn(d, { id: userId, memoryEnabled: true }, { message: "Hi! I'm allergic to peanuts." });
    if (!started.ok) throw new Error(started.error);
    // Whether each unit that may write commits asynchronously, since the last call.
    const writes = () => recorded.units.splice(0).filter((u) => u.kind === 'asUser').map((u) => u.asynchronousCommit);
    expect(writes()).toEqual([false]);
    let reply = '';
    for await (const event of streamReply(d, started.turn, new AbortController().signal)) if (event.type === 'text') reply += event.text;
    const answer = writes();
    expect(answer.length).toBeGreaterThan(0);
    expect(answer).not.toContain(true);
    // The turn's claim and its learning (the sweep redoes them), and the title (the next answer's work does).
    await afterTurn(d, started.turn, reply);
    expect(writes()).toEqual([true, true, true]);
    expect(await db().select({ factText: userFacts.factText }).from(userFacts).where(eq(userFacts.userId, userId))).toEqual([{ factText: 'Is allergic to peanuts' }]);
    expect((await getConversation(db(), userId, started.turn.conversation.id))!.title).toBe("Hi! I'm allergic to peanuts");
  });

  it('Anthropic: the system prompt carries the fact; the scripted extraction is stored', async () => {
    const vendor = deps(fakeClaude(fake));
    fake.script(
      { match: { forcedTool: 'none' }, text: 'Nice to meet you!' },
      {
        match: { forcedTool: 'record_facts' },
        toolCalls: [{ name: 'record_facts', input: { facts: [{ fact_type: 'preference', fact_text: 'Prefers answers in French', confidence: 0.95, supersedes: [] }] } }],
      },
      { match: { forcedTool: 'write_title' }, toolCalls: [{ name: 'write_title', input: { title: 'Language preference' } }] },
    );
    const first = await send(vendor, 'Please always answer in French, I prefer it.');
    expect(first.reply).toBe('Nice to meet you!');
    expect((await getConversation(db(), userId, first.conversationId))!.title).toBe('Language preference');

    fake.reset();
    await send(vendor, 'What language should you answer in?');
    const chatRequest = fake.requests.find((r) => r.api === 'anthropic' && r.stream)!;
    expect(systemPromptOf(chatRequest.body)).toContain('"Prefers answers in French"');
  });

  it('stores the message before the vendor fails, and the failed answer; a retry replaces it', async () => {
    const vendor = deps(fakeClaude(fake));
    fake.script({ match: { forcedTool: 'none' }, status: 529, errorMessage: 'Overloaded' });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    onTestFinished(() => logged.mockRestore());
    const failed = await send(vendor, 'Tell me a joke');
    expect(failed.events.at(-1)).toMatchObject({ type: 'error', message: 'The model provider is overloaded. Try again in a moment.' });
    // The server log says what failed, in one line.
    expect(logged.mock.calls).toEqual([[expect.stringMatching(/^\[chat\] the reply for turn \d+ failed: 529 .*Overloaded/)]]);
    expect((await turnsOf(failed.conversationId)).map((t) => [t.role, t.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'failed'],
    ]);

    fake.script({ match: { forcedTool: 'none' }, text: 'Why did the chicken cross the road?' });
    const started = await startTurn(vendor, { id: userId, memoryEnabled: true }, { conversationId: failed.conversationId, retry: true });
    if (!started.ok) throw new Error(started.error);
    const retried: TurnEvent[] = [];
    for await (const event of streamReply(vendor, started.turn, new AbortController().signal)) retried.push(event);
    expect(retried.at(-1)).toMatchObject({ type: 'done', status: 'complete' });
    expect((await turnsOf(failed.conversationId)).map((t) => [t.role, t.status, t.content])).toEqual([
      ['user', 'complete', 'Tell me a joke'],
      ['assistant', 'complete', 'Why did the chicken cross the road?'],
    ]);
    expect(await startTurn(vendor, { id: userId, memoryEnabled: true }, { conversationId: failed.conversationId, retry: true })).toEqual({
      ok: false,
      error: 'nothing_to_retry',
    });
  });

  it('keeps what was generated when the reader goes away mid-stream, as interrupted', async () => {
    const vendor = deps({ chat: fakeClaude(fake).chat });
    fake.script({ match: { forcedTool: 'none' }, text: 'one two three four five six', chunkDelayMs: 40 });
    const controller = new AbortController();
    const started = await startTurn(vendor, { id: userId, memoryEnabled: true }, { message: 'Count to six' });
    if (!started.ok) throw new Error(started.error);
    const events: TurnEvent[] = [];
    for await (const event of streamReply(vendor, started.turn, controller.signal)) {
      events.push(event);
      if (event.type === 'text' && event.text.includes('two')) controller.abort();
    }
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'interrupted' });
    const [, answer] = await turnsOf(started.turn.conversation.id);
    expect(answer).toMatchObject({ role: 'assistant', status: 'interrupted' });
    expect(answer!.content.startsWith('one two')).toBe(true);
    expect(answer!.content).not.toContain('six');
  });

  it("refuses another user's conversation and stores nothing in it", async () => {
    const mine = await send(deps(), 'I live in Oslo');
    const stranger = (await createAnonymousUser(db())).id;
    const d = deps();
    expect(await startTurn(d, { id: stranger, memoryEnabled: true }, { conversationId: mine.conversationId, message: 'hello' })).toEqual({
      ok: false,
      error: 'not_found',
    });
    expect(await startTurn(d, { id: stranger, memoryEnabled: true }, { conversationId: mine.conversationId, retry: true })).toEqual({
      ok: false,
      error: 'not_found',
    });
    expect(await turnsOf(mine.conversationId)).toHaveLength(2);
  });
});
