import { describe, expect, it } from 'vitest';
import { extractFactsByRules } from '@/lib/ai/offline/fact-rules';
import { offlineExtract } from '@/lib/ai/offline/extract';
import { ExtractionError } from '@/lib/ai/types';
import { extractFacts } from '@/lib/memory/extract-facts';
import { summarySchema } from '@/lib/memory/short-term';
import { writeTitle } from '@/lib/chat/title';

const texts = (message: string) => extractFactsByRules(message, []).map((f) => `${f.fact_type}: ${f.fact_text}`);

describe('offline rule-based fact extraction', () => {
  it('records the common first-person statements', () => {
    expect(texts('My name is Ada Lovelace.')).toEqual(['personal_context: Name is Ada Lovelace']);
    expect(texts('I live in Paris')).toEqual(['personal_context: Lives in Paris']);
    expect(texts("I'm allergic to peanuts!")).toEqual(['constraint: Is allergic to peanuts']);
    expect(texts('I prefer short answers with code examples')).toEqual(['preference: Prefers short answers with code examples']);
    expect(texts("I'm working on a compiler in Rust")).toEqual(['technical_context: Works on a compiler in Rust']);
    expect(texts('I work at Acme Corp')).toEqual(['personal_context: Works at Acme Corp']);
    expect(texts("I'm vegetarian")).toEqual(['constraint: Is vegetarian']);
    expect(texts("I'm training for a marathon in April")).toEqual(['goal: Is working towards a marathon in April']);
  });

  it('finds several statements in one message and ignores questions', () => {
    expect(texts('Hi! I live in Berlin and I love hiking. Do you like hiking? What should I cook?')).toEqual([
      'personal_context: Lives in Berlin',
      'preference: Likes hiking',
    ]);
    expect(texts('What is the capital of France?')).toEqual([]);
    expect(texts('If I moved to Rome, would I like it?')).toEqual([]);
  });

  it('supersedes the old value of a single-valued fact, and only that', () => {
    const known = [
      { ref: 'F1', factType: 'personal_context' as const, factText: 'Lives in Paris' },
      { ref: 'F2', factType: 'preference' as const, factText: 'Likes hiking' },
      { ref: 'F3', factType: 'technical_context' as const, factText: 'Uses Python' },
    ];
    expect(extractFactsByRules("I've moved to Berlin", known)).toEqual([
      { fact_type: 'personal_context', fact_text: 'Lives in Berlin', confidence: 0.9, supersedes: ['F1'] },
    ]);
    expect(extractFactsByRules('I switched from Python to Rust', known)).toEqual([
      { fact_type: 'technical_context', fact_text: 'Uses Rust', confidence: 0.9, supersedes: ['F3'] },
    ]);
    expect(extractFactsByRules('I live in Paris', known)[0]!.supersedes).toEqual([]);
  });
});

describe('offline extract function', () => {
  it('answers the memory engine\'s fact task from its data, mapping refs back to ids', async () => {
    const facts = await extractFacts(offlineExtract, {
      userMessage: 'Actually I moved to Lisbon. I prefer tea.',
      knownFacts: [{ id: 'fact-paris', factType: 'personal_context', factText: 'Lives in Paris' }],
    });
    expect(facts).toEqual([
      { factType: 'personal_context', factText: 'Lives in Lisbon', confidence: 0.9, supersedes: ['fact-paris'] },
      { factType: 'preference', factText: 'Prefers tea', confidence: 0.9, supersedes: [] },
    ]);
  });

  it('writes a bounded excerpt summary for the summary task', async () => {
    const { summary } = await offlineExtract({
      name: 'write_summary',
      description: '',
      system: '',
      prompt: '',
      schema: summarySchema,
      data: { previousSummary: 'Talked about Rust.', turns: [{ role: 'user', content: 'x'.repeat(5000) }, { role: 'assistant', content: 'ok' }] },
    });
    expect(summary.length).toBeLessThanOrEqual(2001);
    expect(summary).toMatch(/The user said: x+…$/);
  });

  it('refuses a task it has no rules for, and data it cannot read, with an ExtractionError', async () => {
    const base = { description: '', system: '', prompt: '', schema: summarySchema };
    await expect(offlineExtract({ ...base, name: 'translate' })).rejects.toBeInstanceOf(ExtractionError);
    await expect(offlineExtract({ ...base, name: 'write_summary', data: { nope: 1 } })).rejects.toThrow();
  });
});

describe('offline titles', () => {
  it('titles a conversation with the first words of its first message', async () => {
    expect(await writeTitle(offlineExtract, 'I live in Paris and I love cycling along the Seine.', 'reply')).toBe(
      'I live in Paris and I…',
    );
    expect(await writeTitle(offlineExtract, 'Hello there!', 'reply')).toBe('Hello there');
  });
});
