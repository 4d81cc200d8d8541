/**
 * Phrasings kept aside: written once, before looking at what the rules make of them, and never
 * used to tune the rules (fact-rules.ts). A failure here says how the rules generalise; the fix
 * belongs in the rules only if it is general, and the phrasing then moves to the main test file
 * and a new one takes its place here.
 */
import { describe, expect, it } from 'vitest';
import { extractFactsByRules } from '@/lib/ai/offline/fact-rules';

const texts = (message: string, known: Parameters<typeof extractFactsByRules>[1] = []) =>
  extractFactsByRules(message, known).map((f) => f.fact_text);

describe('offline rules on held-out phrasings', () => {
  it('records what people say about themselves', () => {
    const known = [{ ref: 'F1', factType: 'personal_context' as const, factText: 'Lives in Boston' }];
    expect(extractFactsByRules('Oh by the way, I moved from Boston to Chicago in March.', known)).toEqual([
      { fact_type: 'personal_context', fact_text: 'Lives in Chicago', confidence: 0.9, supersedes: ['F1'] },
    ]);
    expect(texts("My husband's name is Mark.")).toEqual(['Partner is Mark']);
    expect(texts('I started working at the library last week')).toEqual(['Works at the library']);
    expect(texts("I'm vegetarian, have been for years.")).toEqual(['Is vegetarian']);
    expect(texts("I'm a pharmacist.")).toEqual(['Works as a pharmacist']);
    expect(texts('I have two cats named Miso and Tofu.')).toEqual(['Has two cats named Miso and Tofu']);
    expect(texts('I absolutely adore gardening')).toEqual(['Likes gardening']);
    expect(texts("I really can't stand loud music")).toEqual(['Dislikes loud music']);
    expect(texts("I'm severely allergic to shellfish, so please keep that in mind")).toEqual(['Is allergic to shellfish']);
  });

  it('says nothing about reactions, the other person, wishes and denials', () => {
    for (const message of [
      'I love that for you!',
      'Omg I love this pic of your dog',
      'I like how the light hits the water in that shot',
      "I'd really like to visit Japan someday",
      "I don't work at Google anymore",
      'Would I like living in Berlin?',
      'My wife is the best',
      "I'm working on it, promise",
      'I love the way you described it',
      "I think you'd love it there",
      "If I ever move to Spain I'll learn Spanish",
      'I enjoy your stories so much',
    ]) {
      expect(texts(message), message).toEqual([]);
    }
  });
});
