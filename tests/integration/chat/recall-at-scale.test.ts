/**
 * Recall when the memory is too large to give whole: the same user also holds 300 distractor
 * facts and 2,000 distractor messages, so search by meaning is what must find what matters. The
 * default offline embedder (sentence encoder + hashed), the offline rules, the real prompt order.
 *
 * The target is 8 of the 10 pairs among the first 8 items the prompt carries, offline and through
 * Claude's SDK (the fake vendor). Measured (2026-11-26): 8 of 10 since the prompt keeps the nearest
 * fact and the three nearest excerpts whatever their similarity (retrieve.ts NEAREST_KEPT_FOR_PROMPT); 6 before,
 * when the floor (0.38) hid pairs that rank first but score 0.03-0.25 cosine. The phrasings set
 * aside (recall-pairs.ts ASIDE) are checked, never tuned on.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOfflineEmbedder, DEFAULT_OFFLINE_EMBEDDER } from '@/lib/ai/offline/embedder';
import { offlineExtract } from '@/lib/ai/offline/extract';
import { appendTurn, createAnonymousUser, createConversation } from '@/lib/db/queries';
import { selectRows } from '@/lib/db/rows';
import { markTurnLearned } from '@/lib/memory/episode-store';
import { defaultEpisodeOptions, retrieveEpisodes } from '@/lib/memory/episodes';
import { vectorParam } from '@/lib/memory/stored-vector';
import { writeFacts } from '@/lib/memory/write-facts';
import { chatDepsOf, chatTurn, fakeClaude, memoryServices } from '../../helpers/chat';
import { describeOnEngine } from '../engines';
import { startFakeVendorServer, systemPromptOf, type FakeVendorServer } from '@/tests/fakes/vendor-server';
import { ASIDE, DISTRACTOR_WORDS, PAIRS } from './recall-pairs';

const embedder = createOfflineEmbedder(DEFAULT_OFFLINE_EMBEDDER);

/** A deterministic sentence from word lists, about everyday things the pairs never mention. */
function distractor(i: number): string {
  const pick = (list: readonly string[], salt: number) => list[(i * 7919 + salt * 104729) % list.length]!;
  const { verbs, things, places, people } = DISTRACTOR_WORDS;
  return `Yesterday I ${pick(verbs, 1)} the ${pick(things, 2)} at the ${pick(places, 3)} with my ${pick(people, 4)}.`;
}

let fake: FakeVendorServer;
beforeAll(async () => {
  fake = await startFakeVendorServer();
});
afterAll(() => fake.close());

describeOnEngine('recall at scale', (db, engine, store) => {
  let userId: string;
  /** Offline, or with the answer written by Claude's SDK against the fake vendor. */
  const deps = (viaClaude = false) => chatDepsOf(memoryServices(store(), offlineExtract, embedder), viaClaude ? fakeClaude(fake).chat : undefined);

  const send = async (message: string, viaClaude = false) => (await chatTurn(deps(viaClaude), { id: userId, memoryEnabled: true }, { message })).turn;

  /** Whether what was said is among the first 8 items of the prompt for the question. */
  const inTopEight = (turn: Awaited<ReturnType<typeof send>>, pair: (typeof PAIRS)[number]) =>
    turn.prepared.promptItems
      .slice(0, 8)
      .some((item) => ('fact' in item ? item.fact.factText === pair.fact : item.episode.content === pair.said));

  /** A user with 2,000 distractor messages in 40 chats (older than what is said next) and 300 distractor facts. */
  async function crowdedUser(): Promise<string> {
    const id = (await createAnonymousUser(db())).id;
    const texts = Array.from({ length: 2000 }, (_, i) => distractor(i));
    const vectors = await embedder.embed(texts);
    await store().asUser(id, async (tx) => {
      for (let c = 0; c < 40; c++) {
        const conversation = await createConversation(tx, id, `Chat ${c}`);
        for (let t = 0; t < 50; t++) {
          const i = c * 50 + t;
          const turn = await appendTurn(tx, id, { conversationId: conversation.id, role: 'user', content: texts[i]! });
          await markTurnLearned(tx, { userId: id, turnId: turn!.id, episode: { conversationId: conversation.id, model: embedder.model, vector: vectors[i]! } });
        }
      }
      await tx.execute(sql`UPDATE conversation_turns SET created_at = now() - interval '30 days', extracted_at = now() WHERE user_id = ${id}`);
    });
    const facts = Array.from({ length: 300 }, (_, i) => `Once ${distractor(i + 5000).replace(/^Yesterday I /, '').replace(/\.$/, '')}`);
    await writeFacts(store(), embedder, { userId: id, candidates: facts.map((factText) => ({ factType: 'personal_context' as const, factText, confidence: 0.9, supersedes: [] })) });
    return id;
  }

  beforeAll(async () => {
    userId = await crowdedUser();
    for (const pair of PAIRS) await send(pair.said);
  }, 600_000);

  it('finds at least 8 of 10 things said, for questions that share no word with them', async () => {
    const found: string[] = [];
    for (const pair of PAIRS) if (inTopEight(await send(pair.asked), pair)) found.push(pair.said);
    expect(found.length, `found: ${found.join(' | ')}`).toBeGreaterThanOrEqual(8);
  }, 600_000);

  it('through Claude: the same memories reach the system prompt the vendor receives', async () => {
    fake.reset();
    fake.script({ match: { forcedTool: 'none' }, text: 'Here is an idea.' });
    let found = 0;
    for (const pair of PAIRS) {
      const sent = fake.requests.length;
      const turn = await send(pair.asked, true);
      const chatRequest = fake.requests.slice(sent).find((r) => r.api === 'anthropic');
      const system = systemPromptOf(chatRequest!.body);
      if (inTopEight(turn, pair) && (system.includes(JSON.stringify(pair.fact)) || system.includes(pair.said))) found++;
    }
    expect(found).toBeGreaterThanOrEqual(8);
  }, 600_000);
  it('past chats ranked on sign bits, then re-ranked exactly, find what exact search finds', async () => {
    // The nearest 8 by meaning alone (no words in the question, no floor) against an exact scan
    // of the same window: the questions people asked, and sentences shaped like the 2,000
    // distractors, whose near neighbours are many and close (the hard case for sign bits).
    const questions = [...PAIRS, ...ASIDE].map((p) => p.asked).concat(Array.from({ length: 20 }, (_, i) => distractor(7000 + i)));
    const vectors = await embedder.embed(questions);
    const window = defaultEpisodeOptions.window;
    let recall = 0;
    for (const vector of vectors) {
      const query = { userId, model: embedder.model, vector, text: '', excludeConversationId: randomUUID() };
      const { found, exact } = await store().asUser(userId, async (tx) => ({
        found: await retrieveEpisodes(tx, query, { ...defaultEpisodeOptions, k: 8, minSimilarity: -1, keepNearest: 8 }),
        exact: await selectRows<{ turn_id: string }>(
          tx,
          sql`SELECT w.turn_id FROM (
                SELECT turn_id, embedding FROM episode_embeddings WHERE user_id = ${userId} AND model = ${embedder.model} ORDER BY turn_id DESC LIMIT ${window}
              ) w ORDER BY w.embedding <=> ${vectorParam(vector, embedder.model)}::halfvec, w.turn_id LIMIT 8`,
        ),
      }));
      const ids = new Set(found.map((e) => String(e.turnId)));
      expect(exact).toHaveLength(8);
      recall += exact.filter((r) => ids.has(String(r.turn_id))).length / 8 / vectors.length;
    }
    expect(recall).toBeGreaterThanOrEqual(0.95);
  }, 600_000);

  it('finds the phrasings set aside, never tuned on', async () => {
    // Their own user: "I live in Porto" would rightly replace "I live in Lyon".
    userId = await crowdedUser();
    for (const pair of ASIDE) await send(pair.said);
    for (const pair of ASIDE) expect(inTopEight(await send(pair.asked), pair), pair.asked).toBe(true);
  }, 600_000);

});
