/**
 * The writer's test before similarity() (dedup.ts, trigramKeys) must never hide a fact worded
 * like the new one: over many pairs of a fact and a variant of it (a typo, a dropped or doubled
 * letter, other case and punctuation, a word added), every pair above the trigram line passes it.
 */
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { selectRows } from '@/lib/db/rows';
import { trigramKeys } from '@/lib/memory/dedup';
import { defaultWriteFactsOptions } from '@/lib/memory/write-facts';
import { describeOnEngine } from '../engines';

const FACTS = [
  'Lives in Berlin with her partner',
  'Is allergic to peanuts and tree nuts',
  'Prefers dark roast coffee in the morning',
  'Works as a backend engineer at Zalando',
  'Wants to run a marathon in under four hours next year',
  'Cannot use cloud services for client data',
  'Plays the violin in a community orchestra on Thursdays',
  'Is learning Japanese, JLPT N3 in 2027',
  'Uses PostgreSQL 16 and Drizzle for side projects',
  'Has two kids, Maya (7) and Leo (4)',
];

/** Variants of a text a person or an extractor might write for the same fact. */
function variants(text: string): string[] {
  const out = new Set<string>([text.toLowerCase(), text.toUpperCase(), `${text}.`, `${text}!`, text.replace(/ /g, '  ')]);
  for (let i = 0; i < text.length; i += 3) {
    out.add(text.slice(0, i) + text.slice(i + 1)); // a letter dropped
    out.add(text.slice(0, i) + text[i] + text.slice(i)); // a letter doubled
    out.add(text.slice(0, i) + (text[i + 1] ?? '') + text[i] + text.slice(i + 2)); // two swapped
  }
  out.add(`${text} too`);
  out.add(`Really ${text.toLowerCase()}`);
  return [...out];
}

describeOnEngine('the test before trigram similarity', (db) => {
  const threshold = defaultWriteFactsOptions.duplicateTrigram;

  it('passes every variant above the line, and fewer of the others', async () => {
    const pairs = FACTS.flatMap((fact) => [...variants(fact), ...FACTS.filter((f) => f !== fact)].map((other) => ({ fact, other })));
    const rows = await selectRows<{ fact: string; other: string; similar: boolean; passes: boolean }>(
      db(),
      sql`SELECT p.fact, p.other, similarity(p.other, p.fact) > ${threshold} AS similar,
                 keys.keys IS NULL OR lower(p.other) LIKE ANY (keys.keys) AS passes
          FROM unnest(${sql.param(pairs.map((p) => p.fact))}::text[], ${sql.param(pairs.map((p) => p.other))}::text[]) AS p (fact, other)
          CROSS JOIN LATERAL (${trigramKeys(sql`p.fact`, threshold)}) keys`,
    );
    const similar = rows.filter((r) => r.similar);
    expect(similar.length).toBeGreaterThan(100);
    expect(similar.filter((r) => !r.passes)).toEqual([]);
    // Of the other facts, the test passes few: similarity() is computed for those only.
    const unrelated = rows.filter((r) => FACTS.includes(r.other));
    expect(unrelated.filter((r) => r.passes).length).toBeLessThan(unrelated.length / 3);
  });
});
