import { describe, expect, it } from 'vitest';
import { extractFactsByRules } from '@/lib/ai/offline/fact-rules';
import { offlineExtract } from '@/lib/ai/offline/extract';
import { runJob } from '@/lib/ai/structured-job';
import { ExtractionError } from '@/lib/ai/types';
import { extractFacts } from '@/lib/memory/extract-facts';
import { summaryJob } from '@/lib/memory/short-term';
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

describe('offline rules for home, job and partner', () => {
  const known = [
    { ref: 'F1', factType: 'personal_context' as const, factText: 'Lives in Lyon' },
    { ref: 'F2', factType: 'personal_context' as const, factText: 'Works at Acme Corp' },
    { ref: 'F3', factType: 'personal_context' as const, factText: 'Partner is Sam' },
    { ref: 'F4', factType: 'technical_context' as const, factText: 'Uses Python' },
  ];
  const facts = (message: string) => extractFactsByRules(message, known).map((f) => [f.fact_text, f.supersedes]);

  it('reads a move from one city to another as the new home, superseding the old one', () => {
    expect(facts('I moved from Lyon to Paris')).toEqual([['Lives in Paris', ['F1']]]);
    expect(facts('So yeah, we packed everything and I moved from Lyon to Paris last spring.')).toEqual([['Lives in Paris', ['F1']]]);
    expect(facts("I've just moved to Berlin!")).toEqual([['Lives in Berlin', ['F1']]]);
    expect(facts("I'm from Madrid but I live in London now")).toEqual([['Lives in London', ['F1']]]);
    // A tool the user is known to use is a switch of tools, whatever the verb.
    expect(facts('I moved from Python to Rust')).toEqual([['Uses Rust', ['F4']]]);
  });

  it('records a new employer and a job title in their canonical forms', () => {
    expect(facts('I now work at Google')).toEqual([['Works at Google', ['F2']]]);
    expect(facts('I started working at Stripe last month')).toEqual([['Works at Stripe', ['F2']]]);
    expect(facts('Good news, I got a job at the city hospital!')).toEqual([['Works at the city hospital', ['F2']]]);
    expect(facts("I've been working at the bakery for two years")).toEqual([['Works at the bakery', ['F2']]]);
    expect(facts('I work for Google as a designer')).toEqual([['Works at Google', ['F2']]]);
    expect(texts('I got a job as a nurse')).toEqual(['personal_context: Works as a nurse']);
    expect(texts("I'm a software engineer.")).toEqual(['personal_context: Works as a software engineer']);
  });

  it('records a named partner, and nothing when the partner is only described', () => {
    expect(facts('My wife is Sarah')).toEqual([['Partner is Sarah', ['F3']]]);
    expect(facts("my boyfriend is Tom and he's great")).toEqual([['Partner is Tom', ['F3']]]);
    expect(facts("My girlfriend's name is Anna.")).toEqual([['Partner is Anna', ['F3']]]);
    expect(facts("I'm married to Alex")).toEqual([['Partner is Alex', ['F3']]]);
    for (const message of ['My husband is a doctor', 'My partner is amazing', 'My girlfriend is Italian', "I'm married to my job"]) {
      expect(texts(message), message).toEqual([]);
    }
  });

  it('keeps names, code languages, family and pets as said', () => {
    expect(texts('my name is ada')).toEqual(['personal_context: Name is Ada']);
    expect(texts('Call me Bob.')).toEqual(['personal_context: Name is Bob']);
    expect(texts('These days I mostly code in Go')).toEqual(['technical_context: Uses Go']);
    expect(texts('I have two kids')).toEqual(['personal_context: Has two kids']);
    expect(texts('I have three dogs named Pepper, Precious and Panda')).toEqual(['personal_context: Has three dogs named Pepper, Precious and Panda']);
    expect(texts("I'm a mom, so weekends are busy")).toEqual(['personal_context: Is a mom']);
  });
});

describe('offline rules say nothing rather than junk', () => {
  it('drops objects that point back at something said or shown', () => {
    for (const message of [
      'I love it!',
      'Yeah, I love to.',
      'I love them so much',
      'I like that idea',
      "I'm using it to stay organized",
      "I'm working on it",
      'I hate when that happens',
    ]) {
      expect(texts(message), message).toEqual([]);
    }
  });

  it('drops statements about the other person and reactions to their photos', () => {
    for (const message of [
      'I love that you chose pottery for your art.',
      'Wow, that looks awesome! I love how it shows the togetherness you were talking about.',
      "Melanie, that photo's amazing! I love all the yellow leaves, it looks so cozy.",
      'I love the colors in this photo',
      'I love your painting',
      'I love hiking with you',
      'I love you guys',
    ]) {
      expect(texts(message), message).toEqual([]);
    }
  });

  it('drops questions, conditions, wishes, negations and plans of the day', () => {
    for (const message of [
      "I'd love to see another painting of yours!",
      "I don't live in Paris anymore",
      "I don't think I like sushi",
      "If I lived in Paris I'd be happy",
      'I wish I worked at Google',
      'Maybe I should move to Rome',
      "This weekend, I'm planning to check out this cozy cafe",
      "I'm planning to go to the store tomorrow",
      "I'm learning a ton",
      'I like to think so',
    ]) {
      expect(texts(message), message).toEqual([]);
    }
  });

  it('drops homes that are not places and employers that are not employers', () => {
    for (const message of [
      'I moved in with my girlfriend',
      'I moved to a new team at work',
      'I recently moved to a new apartment',
      'I live in the moment',
      'I work from home',
      'I work at home most days',
      "I'm working as hard as I can",
      'I work for a living',
      'I changed from a morning person to a night owl',
    ]) {
      expect(texts(message), message).toEqual([]);
    }
  });

  it('keeps the statement and drops the comment after it, in the third person', () => {
    expect(texts("I love camping trips with my fam, 'cause nature brings such peace.")).toEqual(['preference: Likes camping trips with their fam']);
    expect(texts("I'm using positive reinforcement techniques and it's still a work in progress")).toEqual([
      'technical_context: Uses positive reinforcement techniques',
    ]);
    expect(texts("I'm still working on the dance studio and things are looking up!")).toEqual(['technical_context: Works on the dance studio']);
    expect(texts('I love all dances, but contemporary is my top pick.')).toEqual(['preference: Likes all dances']);
    expect(texts('I love hiking, swimming and biking')).toEqual(['preference: Likes hiking, swimming and biking']);
    expect(texts('I love throwing on some music, pouring a glass of wine, and just going with the flow in the kitchen.')).toEqual([]);
    expect(texts('Being my own boss and doing something I love is awesome.')).toEqual([]);
    expect(texts('It reminds me why I love being a mom.')).toEqual(['preference: Likes being a mom']);
    expect(texts('You know I love live music. Can\'t wait to hear about it!')).toEqual(['preference: Likes live music']);
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

  it('writes a bounded excerpt summary for the summary job', async () => {
    const { summary } = await runJob(offlineExtract, summaryJob, {
      previousSummary: 'Talked about Rust.',
      turns: [{ role: 'user', content: 'x'.repeat(5000) }, { role: 'assistant', content: 'ok' }],
    });
    expect(summary.length).toBeLessThanOrEqual(2001);
    expect(summary).toMatch(/The user said: x+…$/);
  });

  it('refuses a request without an offline rule, and a rule\'s answer that does not fit the schema, with an ExtractionError', async () => {
    const base = { name: 'write_summary', description: '', system: '', prompt: '', schema: summaryJob.schema };
    await expect(offlineExtract(base)).rejects.toBeInstanceOf(ExtractionError);
    await expect(offlineExtract({ ...base, offline: () => ({ summary: '' }) })).rejects.toBeInstanceOf(ExtractionError);
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
