import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashedEmbedder } from '@/lib/ai/offline/hashed-embedder';
import type { ExtractFn } from '@/lib/ai/types';
import { openPglite, type DatabaseHandle } from '@/lib/db/client';
import { migrateDatabase } from '@/lib/db/migrate';
import { conversationTurns, userFacts } from '@/lib/db/schema';
import { createStore } from '@/lib/db/store';
import type { MemoryServices } from '@/lib/memory/services';
import { defaultMemorySettings } from '@/lib/memory/settings';
import { parseConversations } from '@/scripts/locomo/load';
import { askQuestion, emptyChats, ingestConversation, type IngestedConversation } from '@/scripts/locomo/pipeline';

/** A made-up two-session dialogue (no LoCoMo text). */
const [conversation] = parseConversations(
  {
    speaker_a: 'Ada',
    speaker_b: 'Bo',
    session_1_date_time: '9:15 am on 3 March, 2024',
    session_1: [
      { speaker: 'Bo', dia_id: 'D1:1', text: 'Hi Ada, how are you?' },
      { speaker: 'Ada', dia_id: 'D1:2', text: 'I live in Lisbon now.' },
      { speaker: 'Bo', dia_id: 'D1:3', text: 'Lovely city!' },
    ],
    session_2_date_time: '4:40 pm on 12 April, 2024',
    session_2: [
      { speaker: 'Ada', dia_id: 'D2:1', text: 'I love hiking in the hills.' },
      { speaker: 'Bo', dia_id: 'D2:2', text: 'I work at a bakery.' },
    ],
    qa: [
      { question: 'Where does Ada live?', evidence: ['D1:2'], category: 4 },
      { question: 'Who likes hiking?', evidence: ['D2:1'], category: 1 },
    ],
  },
  'tiny',
);

/** A stand-in extractor, so the test does not hang on the offline rules' wording: each "I …" message is a fact. */
const extract: ExtractFn = async (request) => {
  const { userMessage } = request.data as { userMessage: string };
  const facts = /^I /.test(userMessage) ? [{ fact_type: 'personal_context', fact_text: userMessage, confidence: 0.9, supersedes: [] }] : [];
  return request.schema.parse({ facts });
};

describe('LoCoMo pipeline on the product', () => {
  let handle: DatabaseHandle;
  let services: MemoryServices;
  let ingested: IngestedConversation;

  beforeAll(async () => {
    handle = await openPglite();
    await migrateDatabase(handle);
    services = {
      store: createStore(handle),
      extract,
      embedder: hashedEmbedder,
      settings: { ...defaultMemorySettings, retrieve: { ...defaultMemorySettings.retrieve, minSimilarity: -1 } },
    };
    ingested = await ingestConversation(services, conversation!);
  }, 60_000);
  afterAll(() => handle?.close());

  it('stores each speaker as a user, the next turn as the reply, dated to the session', async () => {
    expect(ingested.stats).toMatchObject({ userTurns: 5, replies: 3, extracted: 5, failed: 0, undatedSessions: 0 });
    const turns = await services.store.asSystem((tx) => tx.select().from(conversationTurns).orderBy(conversationTurns.id));
    const [ada, bo] = ingested.userIds;
    const view = turns.map((t) => [t.userId === ada ? 'Ada' : t.userId === bo ? 'Bo' : '?', t.role, ingested.diaIdsByTurn.get(t.id)![0], t.createdAt.toISOString()]);
    expect(view).toEqual([
      ['Bo', 'user', 'D1:1', '2024-03-03T09:15:00.000Z'],
      ['Bo', 'assistant', 'D1:2', '2024-03-03T09:15:01.000Z'],
      ['Ada', 'user', 'D1:2', '2024-03-03T09:15:01.000Z'],
      ['Ada', 'assistant', 'D1:3', '2024-03-03T09:15:02.000Z'],
      ['Bo', 'user', 'D1:3', '2024-03-03T09:15:02.000Z'],
      ['Ada', 'user', 'D2:1', '2024-04-12T16:40:00.000Z'],
      ['Ada', 'assistant', 'D2:2', '2024-04-12T16:40:01.000Z'],
      ['Bo', 'user', 'D2:2', '2024-04-12T16:40:01.000Z'],
    ]);
    // Filtered by user as the product's queries are: PGlite's superuser is not bound by row-level security.
    const facts = await services.store.asUser(ada!, (tx) => tx.select().from(userFacts).where(eq(userFacts.userId, ada!)).orderBy(userFacts.createdAt));
    expect(facts.map((f) => [f.factText, ingested.diaIdsByTurn.get(f.sourceTurnId!)![0], f.createdAt.toISOString()])).toEqual([
      ['I live in Lisbon now.', 'D1:2', '2024-03-03T09:15:01.000Z'],
      ['I love hiking in the hills.', 'D2:1', '2024-04-12T16:40:00.000Z'],
    ]);
  });

  it('asks the named speaker, or both, and reads the prompt as dialogue ids', async () => {
    const chats = await emptyChats(services, ingested);
    const [where, who] = conversation!.questions;
    const asked = await askQuestion(services, conversation!, ingested, chats, where!);
    expect(asked.speakers).toEqual([0]);
    expect(asked.items[0]).toEqual(['D1:2']);
    const both = await askQuestion(services, conversation!, ingested, chats, who!);
    expect(both.speakers).toEqual([0, 1]);
    expect(both.items.flat()).toContain('D2:1');
    // Facts and episodes (once the prompt carries them) are all counted, merged by rank.
    expect(both.items).toHaveLength(both.facts + both.episodes);
  });
});
