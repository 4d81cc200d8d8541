import { eq } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { appendTurn, createAnonymousUser, createConversation, listTurns } from '@/lib/db/queries';
import { conversations } from '@/lib/db/schema';
import { foldOldTurns, loadShortTermContext } from '@/lib/memory/short-term';
import { scriptedExtract } from '../../helpers/models';
import { HOUSEKEEPING, recordingStore } from '../../helpers/single-shard';
import { describeOnEngine } from '../engines';

const options = { recentTurns: 2, summarizeAfter: 4 };

describeOnEngine('short-term memory', (db, engine, store) => {
  let userId: string;
  let conversationId: string;

  async function say(count: number, from = 1) {
    // Odd turns are the user's; each even one answers the question before it.
    let question = (await listTurns(db(), userId, conversationId)).findLast((t) => t.role === 'user')?.id;
    for (let i = from; i < from + count; i++) {
      const content = `turn ${i}`;
      const turn = await appendTurn(db(), userId, i % 2 ? { conversationId, role: 'user', content } : { conversationId, role: 'assistant', content, repliesTo: question! });
      if (i % 2) question = turn!.id;
    }
  }

  beforeEach(async () => {
    userId = (await createAnonymousUser(db())).id;
    conversationId = (await createConversation(db(), userId)).id;
  });

  it('returns every turn while the conversation is short, and folds nothing', async () => {
    await say(4);
    const extract = scriptedExtract();
    expect(await foldOldTurns(store(), extract, userId, conversationId, options)).toBe(false);
    expect(extract.requests).toHaveLength(0);
    const context = await loadShortTermContext(db(), userId, conversationId);
    expect(context.summary).toBeNull();
    expect(context.messages.map((m) => m.content)).toEqual(['turn 1', 'turn 2', 'turn 3', 'turn 4']);
    expect(context.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('folds all but the recent turns into the summary once past the threshold', async () => {
    await say(5);
    const extract = scriptedExtract({ summary: 'They counted to three.' });
    expect(await foldOldTurns(store(), extract, userId, conversationId, options)).toBe(true);
    expect(extract.requests[0]!.prompt).toContain('"turn 3"');
    expect(extract.requests[0]!.prompt).not.toContain('"turn 4"');

    const context = await loadShortTermContext(db(), userId, conversationId);
    expect(context.summary).toBe('They counted to three.');
    expect(context.messages.map((m) => m.content)).toEqual(['turn 4', 'turn 5']);
  });

  it('reads what a fold needs in one statement of a read-only unit, and writes in another', async () => {
    await say(5);
    const recorder = recordingStore(db(), engine);
    expect(await foldOldTurns(recorder.store, scriptedExtract({ summary: 'They counted.' }), userId, conversationId, options)).toBe(true);
    expect(recorder.units.map((u) => u.kind)).toEqual(['readAsUser', 'asUser']);
    expect(recorder.units[0]!.statements.filter((s) => !HOUSEKEEPING.test(s.sql))).toHaveLength(1);
    // The next fold's read finds the summary and only the turns after it.
    await say(3, 6);
    const again = scriptedExtract({ summary: 'They counted to six.' });
    expect(await foldOldTurns(store(), again, userId, conversationId, options)).toBe(true);
    expect(again.requests[0]!.prompt).toContain('Previous summary: "They counted."');
    expect(again.requests[0]!.prompt).toContain('"turn 4"');
    expect(again.requests[0]!.prompt).not.toContain('"turn 3"');
  });

  it('keeps the context bounded however long the conversation runs', async () => {
    const answers = Array.from({ length: 20 }, (_, i) => ({ summary: `summary ${i}` }));
    const extract = scriptedExtract(...answers);
    for (let i = 1; i <= 30; i++) {
      await say(1, i);
      await foldOldTurns(store(), extract, userId, conversationId, options);
      const context = await loadShortTermContext(db(), userId, conversationId);
      expect(context.messages.length).toBeLessThanOrEqual(options.summarizeAfter);
    }
    const context = await loadShortTermContext(db(), userId, conversationId);
    expect(context.messages.at(-1)!.content).toBe('turn 30');
    // Each fold is given the previous summary to merge.
    expect(extract.requests.at(-1)!.prompt).toMatch(/Previous summary: "summary \d+"/);
  });

  it('leaves the conversation unchanged when summarising fails', async () => {
    await say(5);
    await expect(
      foldOldTurns(store(), scriptedExtract(new Error('vendor down')), userId, conversationId, options),
    ).rejects.toThrow('vendor down');
    const [row] = await db().select().from(conversations).where(eq(conversations.id, conversationId));
    expect(row).toMatchObject({ summary: null, summarizedThroughTurnId: null });
    expect((await loadShortTermContext(db(), userId, conversationId)).messages).toHaveLength(5);
  });

  it('reads nothing of another user’s conversation', async () => {
    await say(3);
    const stranger = (await createAnonymousUser(db())).id;
    expect(await loadShortTermContext(db(), stranger, conversationId)).toEqual({ summary: null, messages: [], unsummarized: 0 });
    expect(await foldOldTurns(store(), scriptedExtract(), stranger, conversationId, options)).toBe(false);
  });
});
