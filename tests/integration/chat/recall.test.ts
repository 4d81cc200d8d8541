/**
 * Recall as people meet it: something said once, then a question in a new chat that shares no
 * content word with it. While the memory is small it is given whole, so every such fact reaches
 * the prompt; a constraint always does. Offline (rule extraction), and through Claude's SDK
 * against the fake vendor (the system prompt it receives).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatDeps } from '@/lib/chat/turn';
import { createAnonymousUser } from '@/lib/db/queries';
import { writeFacts } from '@/lib/memory/write-facts';
import { hashedEmbedder } from '@/lib/ai/offline/hashed-embedder';
import { startFakeVendorServer, systemPromptOf, type FakeVendorServer } from '@/tests/fakes/vendor-server';
import { chatDeps, chatTurn, fakeClaude } from '../../helpers/chat';
import { describeOnEngine } from '../engines';
import { ASIDE, PAIRS } from './recall-pairs';

const CONTENT = (text: string) => new Set(text.toLowerCase().match(/[a-z]{4,}/g) ?? []);

describe('the recall pairs', () => {
  it('share no content word between what was said and what is asked', () => {
    for (const { said, asked } of [...PAIRS, ...ASIDE]) {
      const shared = [...CONTENT(said)].filter((w) => CONTENT(asked).has(w));
      expect(shared, `${said} / ${asked}`).toEqual([]);
    }
  });
});

let fake: FakeVendorServer;
beforeAll(async () => {
  fake = await startFakeVendorServer();
});
afterAll(() => fake.close());

describeOnEngine('recall in a new chat', (db, engine, store) => {
  let userId: string;

  beforeEach(async () => {
    userId = (await createAnonymousUser(db())).id;
    fake.reset();
  });

  /** One turn; answers what the prompt carried and the reply. */
  async function send(deps: ChatDeps, message: string) {
    const { turn, reply } = await chatTurn(deps, { id: userId, memoryEnabled: true }, { message });
    return { memories: turn.prepared.usedFacts.map((f) => f.factText), reply };
  }

  it.each([...PAIRS, ...ASIDE])('offline: "$said" is in the prompt for "$asked"', async ({ said, fact, asked }) => {
    await send(chatDeps(store()), said);
    const later = await send(chatDeps(store()), asked);
    expect(later.memories).toContain(fact);
    // The honest offline reply shows it instead of asking to be told again.
    expect(later.reply).toContain(fact);
  });

  it('through Claude: every fact of a small memory reaches the system prompt of an unrelated question', async () => {
    await writeFacts(store(), hashedEmbedder, {
      userId,
      candidates: PAIRS.map((p) => ({ factType: p.fact.startsWith('Is allergic') ? 'constraint' : 'personal_context', factText: p.fact, confidence: 0.9, supersedes: [] })),
    });
    fake.script({ match: { forcedTool: 'none' }, text: 'Here is an idea.' });
    await send(chatDeps(store(), fakeClaude(fake)), 'Can you suggest a snack?');
    const chatRequest = fake.requests.find((r) => r.api === 'anthropic' && !JSON.stringify(r.body).includes('"tool_choice":{"type":"tool"'));
    const system = systemPromptOf(chatRequest!.body);
    for (const { fact } of PAIRS) expect(system).toContain(JSON.stringify(fact));
    expect(system).toMatch(/"Is allergic to peanuts" \(learned \d{4}-\d{2}-\d{2}\)/);
  });

  it('a constraint reaches the prompt even when the memory is too large to give whole', async () => {
    const distractors = Array.from({ length: 150 }, (_, i) => ({
      factType: 'preference' as const,
      factText: `Collects vintage item number ${i} from flea markets`,
      confidence: 0.9,
      supersedes: [],
    }));
    await writeFacts(store(), hashedEmbedder, { userId, candidates: [{ factType: 'constraint', factText: 'Is allergic to peanuts', confidence: 0.9, supersedes: [] }] });
    await writeFacts(store(), hashedEmbedder, { userId, candidates: distractors });
    const later = await send(chatDeps(store()), 'Can you suggest a snack?');
    expect(later.memories[0]).toBe('Is allergic to peanuts');
    expect(later.memories.length).toBeLessThan(151);
  });
});
