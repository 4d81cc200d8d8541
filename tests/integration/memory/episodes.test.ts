/**
 * Episodic memory through the chat path: what the user said in one chat comes back, dated and
 * with its conversation, in a later one; never from the chat being answered, never while "reference
 * past chats" is off, never for a message said with memory off or one carrying a secret.
 */
import { eq } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import type { ExtractFn } from '@/lib/ai/types';
import { learnContext } from '@/lib/chat/after-turn';
import { startTurn, type TurnUser } from '@/lib/chat/turn';
import { createAnonymousUser } from '@/lib/db/queries';
import { episodeEmbeddings, episodeWords, userFacts } from '@/lib/db/schema';
import { exportUserData } from '@/lib/db/user-data';
import { extractTurn } from '@/lib/memory/extract-turn';
import { deleteAllMemories, forgetMessage, setMemorySwitches } from '@/lib/memory/manage-facts';
import { chatDeps, chatTurn, memoryServices } from '../../helpers/chat';
import { describeOnEngine } from '../engines';

describeOnEngine('past conversations', (db, engine, store) => {
  let user: TurnUser;

  beforeEach(async () => {
    user = { id: (await createAnonymousUser(db())).id, memoryEnabled: true, referenceChats: true };
  });

  async function send(message: string, conversationId?: string, as: TurnUser = user) {
    const { turn } = await chatTurn(chatDeps(store()), as, { message, conversationId });
    return { prepared: turn.prepared, conversationId: turn.conversation.id, turnId: turn.userTurn.id };
  }

  it('brings back what was said in an earlier chat, dated, with its conversation', async () => {
    const first = await send('My sister gets married in Lisbon next June and I am giving the speech.');
    const later = await send('Can you help me write the wedding speech?');
    expect(later.prepared.usedEpisodes.map((e) => e.turnId)).toEqual([first.turnId]);
    const day = new Date().toISOString().slice(0, 10);
    expect(later.prepared.system).toMatch(new RegExp(`<past_conversations>[\\s\\S]*- ${day}, in "[^"]+": "My sister gets married in Lisbon`));
    // Not from the chat being answered: those turns are in the prompt already.
    const sameChat = await send('And the wedding is where again?', first.conversationId);
    expect(sameChat.prepared.usedEpisodes.map((e) => e.turnId)).toEqual([later.turnId]);
  });

  it('searches nothing while "reference past chats" is off', async () => {
    await send('My sister gets married in Lisbon next June.');
    const later = await send('Tell me about the wedding in Lisbon', undefined, { ...user, referenceChats: false });
    expect(later.prepared.usedEpisodes).toEqual([]);
    expect(later.prepared.system).not.toContain('<past_conversations>');
  });

  it('keeps nothing of a message said with memory off, or of one carrying a secret', async () => {
    await setMemorySwitches(db(), user.id, { memoryEnabled: false });
    const off = await send('My sister gets married in Lisbon next June.', undefined, { ...user, memoryEnabled: false });
    await setMemorySwitches(db(), user.id, { memoryEnabled: true });
    const secret = await send('I live in Lyon, and my API key is sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3');
    const kept = await db().select().from(episodeEmbeddings).where(eq(episodeEmbeddings.userId, user.id));
    expect(kept.map((e) => e.turnId)).not.toContain(off.turnId);
    expect(kept.map((e) => e.turnId)).not.toContain(secret.turnId);
    const worded = await db().select().from(episodeWords).where(eq(episodeWords.userId, user.id));
    expect(worded.filter((w) => w.turnId === off.turnId || w.turnId === secret.turnId)).toEqual([]);
    expect(await db().select().from(userFacts).where(eq(userFacts.userId, user.id))).toEqual([]);
    const later = await send('Tell me about the wedding in Lisbon and the key');
    expect(later.prepared.usedEpisodes).toEqual([]);
  });

  it('exports which messages are kept, and "delete all" forgets them while the chats stay', async () => {
    const first = await send('My sister gets married in Lisbon next June.');
    const exported = await exportUserData(db(), user.id);
    const turns = exported!.conversations.flatMap((c) => c.turns);
    expect(turns.find((t) => t.id === first.turnId)).toMatchObject({ rememberedForPastChats: true });
    expect(exported!.account.referencePastChats).toBe(true);

    expect(await db().select().from(episodeWords).where(eq(episodeWords.turnId, first.turnId))).not.toEqual([]);
    await store().asUser(user.id, (tx) => deleteAllMemories(tx, user.id));
    expect(await db().select().from(episodeWords).where(eq(episodeWords.userId, user.id))).toEqual([]);
    const later = await send('Tell me about the wedding in Lisbon');
    expect(later.prepared.usedEpisodes).toEqual([]);
    expect((await exportUserData(db(), user.id))!.conversations).toHaveLength(2);
  });

  it('"don\'t remember this" forgets a message\'s facts and episode, and it is never learned again', async () => {
    const said = await send("I'm allergic to peanuts and I live in Lyon.");
    expect(await db().select().from(userFacts).where(eq(userFacts.sourceTurnId, said.turnId))).not.toEqual([]);
    expect(await store().asUser(user.id, (tx) => forgetMessage(tx, user.id, said.turnId))).toMatchObject({ episodes: 1 });
    expect(await db().select().from(userFacts).where(eq(userFacts.sourceTurnId, said.turnId))).toEqual([]);
    expect(await db().select().from(episodeEmbeddings).where(eq(episodeEmbeddings.turnId, said.turnId))).toEqual([]);
    expect(await db().select().from(episodeWords).where(eq(episodeWords.turnId, said.turnId))).toEqual([]);
    expect(await extractTurn(memoryServices(store()), user.id, said.turnId)).toEqual({ status: 'skipped', reason: 'not_found' });
    // Not another user's message, and not an answer.
    const stranger = (await createAnonymousUser(db())).id;
    expect(await store().asUser(stranger, (tx) => forgetMessage(tx, stranger, said.turnId))).toBeUndefined();
  });

  it('an extraction that was running when the message was forgotten writes nothing', async () => {
    const deps = chatDeps(store());
    const started = await startTurn(deps, user, { message: "I'm allergic to peanuts." });
    if (!started.ok) throw new Error(started.error);
    const turnId = started.turn.userTurn.id;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // An extractor that answers only once the message has been forgotten.
    const services = memoryServices(store());
    const slow = { ...services, extract: (async (request) => (await gate, services.extract(request))) as ExtractFn };
    const running = extractTurn(slow, user.id, turnId, learnContext(started.turn.prepared));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await store().asUser(user.id, (tx) => forgetMessage(tx, user.id, turnId));
    release();
    expect(await running).toEqual({ status: 'skipped', reason: 'already_extracted' });
    expect(await db().select().from(userFacts).where(eq(userFacts.sourceTurnId, turnId))).toEqual([]);
    expect(await db().select().from(episodeEmbeddings).where(eq(episodeEmbeddings.turnId, turnId))).toEqual([]);
  });

  it('finds past messages by their words, short or long, and stores any message however its words are shaped', async () => {
    // Hyphenated two-letter words (three lexemes each), and a word of 2,040 letters: about the
    // longest lexeme to_tsvector keeps, which must still fit a B-tree entry of episode_words.
    const dense = Array.from({ length: 200 }, (_, i) => `${String.fromCharCode(98 + (i % 25))}${String.fromCharCode(97 + ((i * 7) % 26))}-x${i}`)
      .join(' ')
      .slice(0, 480);
    const short = await send(`Zanzibar trip notes: ${dense}`);
    const long = await send(`The quokka sanctuary visit was the best part. ${'We walked along the coast and talked for hours. '.repeat(20)}`);
    const later = await send('zanzibar quokka');
    expect(later.prepared.usedEpisodes.map((e) => e.turnId).sort()).toEqual([short.turnId, long.turnId].sort());
    const longest = 'q'.repeat(2040);
    const worded = await send(`Notes from the trip, in shorthand: ${longest}`);
    expect(await db().select().from(episodeWords).where(eq(episodeWords.turnId, worded.turnId))).toContainEqual(
      expect.objectContaining({ word: longest }),
    );
  });
});
