/**
 * An answer is stored while it streams, on both engines, through Anthropic's SDK against the fake
 * vendor: the row exists from the moment the question is stored, grows as the reply streams,
 * counts as interrupted once its writer stops saving it (a process that died), and Retry answers
 * any question whose answer is missing, failed or interrupted. One answer streams at a time per
 * conversation, and every answer names the question it answers.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { ANSWER_SAVE_INTERVAL_MS } from '@/lib/chat/answer';
import type { TurnEvent } from '@/lib/chat/events';
import { loadConversationView } from '@/lib/chat/history';
import { startTurn, streamReply, type ChatDeps, type StartedTurn } from '@/lib/chat/turn';
import { createAnonymousUser } from '@/lib/db/queries';
import { conversationTurns } from '@/lib/db/schema';
import { startFakeVendorServer, type FakeVendorServer } from '@/tests/fakes/vendor-server';
import { chatDepsOf, fakeClaude, memoryServices, turnsOf as turnsOfUser } from '../../helpers/chat';
import { describeOnEngine } from '../engines';

let fake: FakeVendorServer;
beforeAll(async () => {
  fake = await startFakeVendorServer();
});
afterAll(() => fake.close());

/** A model time-out of 1 s: an answer unsaved for 2 s counts as cut off. */
const MODEL_TIMEOUT_MS = 1000;
const STALE_AFTER_MS = ANSWER_SAVE_INTERVAL_MS + MODEL_TIMEOUT_MS;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeOnEngine('an answer stored while it streams', (db, _engine, store) => {
  let userId: string;
  let deps: ChatDeps;
  const user = () => ({ id: userId, memoryEnabled: true });

  const turnsOf = (conversationId: string) => turnsOfUser(db(), userId, conversationId);

  async function start(body: { message: string; conversationId?: string } | { conversationId: string; retry: true }): Promise<StartedTurn> {
    const started = await startTurn(deps, user(), body);
    if (!started.ok) throw new Error(`not started: ${started.error}`);
    return started.turn;
  }

  async function readAll(turn: StartedTurn) {
    const events: TurnEvent[] = [];
    for await (const event of streamReply(deps, turn, new AbortController().signal)) events.push(event);
    return events;
  }

  beforeEach(async () => {
    userId = (await createAnonymousUser(db())).id;
    fake.reset();
    deps = chatDepsOf(memoryServices(store()), fakeClaude(fake).chat, false, MODEL_TIMEOUT_MS);
  });

  it('exists from the question on and is saved as it grows, then ends complete', async () => {
    fake.script({ match: { forcedTool: 'none' }, text: 'one two three four five six seven eight', chunkDelayMs: 300 });
    const turn = await start({ message: 'Count to eight slowly' });
    const [question, answer] = await turnsOf(turn.conversation.id);
    expect(answer).toMatchObject({ role: 'assistant', status: 'streaming', content: '', repliesTo: question!.id });

    const midway: string[] = [];
    const reading = readAll(turn);
    // Partway through, the stored answer holds some of the text but not all of it.
    await sleep(1500);
    midway.push((await turnsOf(turn.conversation.id))[1]!.content);
    const events = await reading;

    expect(midway[0]).toMatch(/^one two/);
    expect(midway[0]).not.toContain('eight');
    expect(events.at(-1)).toEqual({ type: 'done', assistantTurnId: answer!.id, status: 'complete' });
    expect(await turnsOf(turn.conversation.id)).toMatchObject([
      { role: 'user', content: 'Count to eight slowly' },
      { id: answer!.id, status: 'complete', content: 'one two three four five six seven eight', repliesTo: question!.id },
    ]);
  });

  it('counts an answer nobody saves any more as interrupted, and Retry answers its question again', async () => {
    // A process that died mid-answer: the answer's row was saved once with the text shown so
    // far, and nothing writes it again.
    const turn = await start({ message: 'Tell me about tides' });
    await db().update(conversationTurns).set({ content: 'Tides are caused by' }).where(eq(conversationTurns.id, turn.answerId));

    // While it may still be live, a second message or a retry is refused with the wait.
    const busy = await startTurn(deps, user(), { conversationId: turn.conversation.id, message: 'Hello?' });
    expect(busy).toMatchObject({ ok: false, error: 'busy' });
    expect(busy.ok === false && busy.error === 'busy' && busy.retryAfterSeconds).toBeLessThanOrEqual(Math.ceil(STALE_AFTER_MS / 1000));

    await sleep(STALE_AFTER_MS + 200);
    const view = await loadConversationView(db(), userId, turn.conversation.id, STALE_AFTER_MS);
    expect(view?.turns.map((t) => [t.role, t.status, t.content])).toEqual([
      ['user', 'complete', 'Tell me about tides'],
      ['assistant', 'interrupted', 'Tides are caused by'],
    ]);

    fake.script({ match: { forcedTool: 'none' }, text: 'Tides follow the moon.' });
    const retried = await start({ conversationId: turn.conversation.id, retry: true });
    expect(retried.userTurn.id).toBe(turn.userTurn.id);
    await readAll(retried);
    expect((await turnsOf(turn.conversation.id)).map((t) => [t.role, t.status, t.content, t.repliesTo])).toEqual([
      ['user', 'complete', 'Tell me about tides', null],
      ['assistant', 'complete', 'Tides follow the moon.', turn.userTurn.id],
    ]);
  });

  it('keeps a cut-off answer when the next message comes instead of a retry', async () => {
    const turn = await start({ message: 'First question' });
    await sleep(STALE_AFTER_MS + 200);
    fake.script({ match: { forcedTool: 'none' }, text: 'Second answer.' });
    const next = await start({ conversationId: turn.conversation.id, message: 'Second question' });
    await readAll(next);
    expect((await turnsOf(turn.conversation.id)).map((t) => [t.role, t.status, t.repliesTo])).toEqual([
      ['user', 'complete', null],
      ['assistant', 'interrupted', turn.userTurn.id],
      ['user', 'complete', null],
      ['assistant', 'complete', next.userTurn.id],
    ]);
  });

  it('takes one message at a time per conversation: of five sent at once, one is answered and four refused', async () => {
    const first = await start({ message: 'Opening message' });
    await readAll(first);
    fake.script({ match: { forcedTool: 'none' }, text: 'A slow answer.', chunkDelayMs: 200 });
    const attempts = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => startTurn(deps, user(), { conversationId: first.conversation.id, message: `Message ${n}` })),
    );
    const accepted = attempts.flatMap((a) => (a.ok ? [a.turn] : []));
    expect(accepted).toHaveLength(1);
    expect(attempts.flatMap((a) => (a.ok ? [] : [a.error]))).toEqual(['busy', 'busy', 'busy', 'busy']);
    const events = await readAll(accepted[0]!);
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'complete' });

    const turns = await turnsOf(first.conversation.id);
    expect(turns).toHaveLength(4);
    // Each answer names its question, and comes right after it.
    expect(turns[3]).toMatchObject({ role: 'assistant', repliesTo: turns[2]!.id, content: 'A slow answer.' });
    // Once it is done, the next message is taken.
    await start({ conversationId: first.conversation.id, message: 'Message 6' });
  });

  it('marks the answer failed when reading memory fails before it starts, so Retry answers at once', async () => {
    const failing: ChatDeps = {
      ...deps,
      memory: { ...deps.memory, prepare: () => Promise.reject(new Error('the database went away')) },
    };
    await expect(startTurn(failing, user(), { message: 'Plan my week' })).rejects.toThrow('the answer could not start');
    const [conversation] = await db().select().from(conversationTurns).where(eq(conversationTurns.userId, userId));
    const turns = await turnsOf(conversation!.conversationId);
    expect(turns.map((t) => [t.role, t.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'failed'],
    ]);
    fake.script({ match: { forcedTool: 'none' }, text: 'Monday: rest.' });
    await readAll(await start({ conversationId: conversation!.conversationId, retry: true }));
    expect((await turnsOf(conversation!.conversationId)).map((t) => [t.role, t.status, t.content])).toEqual([
      ['user', 'complete', 'Plan my week'],
      ['assistant', 'complete', 'Monday: rest.'],
    ]);
  });
});
