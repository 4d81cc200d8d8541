import { describe, expect, it } from 'vitest';
import { hashedEmbedder } from '@/lib/ai/offline/hashed-embedder';

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

describe('offline hashed embedder', () => {
  it('returns one unit vector per text, in order, the same every time', async () => {
    const texts = ['I love hiking in the mountains', 'My tax return is due', ''];
    const vectors = await hashedEmbedder.embed(texts);
    expect(vectors).toHaveLength(3);
    expect(vectors.every((v) => v.length === hashedEmbedder.dimensions)).toBe(true);
    expect(cosine(vectors[0]!, vectors[0]!)).toBeCloseTo(1, 6);
    expect(vectors[2]!.every((x) => x === 0)).toBe(true);
    expect(await hashedEmbedder.embed([texts[1]!])).toEqual([vectors[1]]);
  });

  it('places texts that share words and word forms near each other, apart from unrelated ones', async () => {
    const [fact, question, wordForm, unrelated] = await hashedEmbedder.embed([
      'Goes hiking in the Alps every summer',
      'Where does she go hiking?',
      'Where does she hike?',
      'Her tax return is due in April',
    ]);
    const floor = hashedEmbedder.calibration!.minSimilarity;
    expect(cosine(fact!, question!)).toBeGreaterThan(floor);
    expect(cosine(fact!, unrelated!)).toBeLessThan(floor);
    // Word pieces link "hike" to "hiking" a little: above unrelated text, below a shared word.
    expect(cosine(fact!, wordForm!)).toBeGreaterThan(cosine(fact!, unrelated!));
  });

  it('ignores stop words and case', async () => {
    const [a, b] = await hashedEmbedder.embed(['I am allergic to PEANUTS', 'allergic peanuts']);
    expect(cosine(a!, b!)).toBeCloseTo(1, 6);
  });
});
