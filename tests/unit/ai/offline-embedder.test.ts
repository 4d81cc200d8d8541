import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineEmbedder, OFFLINE_EMBEDDER_VARIANTS } from '@/lib/ai/offline/embedder';
import { CACHE_FILE, loadWordVectors } from '@/lib/ai/offline/word-vectors';

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
const norm = (v: number[]) => Math.sqrt(cosine(v, v));

const cacheDir = mkdtempSync(path.join(tmpdir(), 'engram-word-vectors-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

// The first embed builds the word-vector cache from the package's 300 MB JSON (a few seconds);
// the sentence encoder loads in under a second.
beforeAll(async () => {
  await createOfflineEmbedder({ variant: 'glove', cacheDir }).embed(['warm-up']);
  await createOfflineEmbedder({ variant: 'use', cacheDir }).embed(['warm-up']);
}, 120_000);

describe.each(OFFLINE_EMBEDDER_VARIANTS)('offline embedder %s', (variant) => {
  const embedder = createOfflineEmbedder({ variant, cacheDir });

  it('returns one unit vector per text, in order, the same every time', async () => {
    const texts = ['I love hiking in the mountains', 'My tax return is due', 'Her sister lives in Lisbon'];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toHaveLength(embedder.dimensions);
      expect(norm(vector)).toBeCloseTo(1, 6);
    }
    // Batch order: each text alone gets the vector it got in the batch (the sentence encoder's
    // arithmetic differs in a batch by ~1e-8).
    for (const [i, text] of texts.entries()) {
      const [alone] = await embedder.embed([text]);
      expect(Math.max(...alone!.map((x, d) => Math.abs(x - vectors[i]![d]!)))).toBeLessThan(1e-6);
    }
    // Another instance over the same cache gives the same vectors.
    expect(await createOfflineEmbedder({ variant, cacheDir }).embed(texts)).toEqual(vectors);
  });

  it('gives a blank text the zero vector, and a text of function words one only when it reads words alone', async () => {
    const [blank, spaces, functionWords] = await embedder.embed(['', '   ', 'and the of it']);
    expect(blank!.every((x) => x === 0)).toBe(true);
    expect(spaces!.every((x) => x === 0)).toBe(true);
    // A sentence encoder reads the whole sentence: function words still mean something to it.
    expect(functionWords!.every((x) => x === 0)).toBe(!variant.startsWith('use'));
  });

  it('scores a fact nearer a related text than an unrelated one', async () => {
    const [fact, related, unrelated] = await embedder.embed([
      'Goes hiking in the Alps every summer',
      'Where does she go hiking?',
      'Her tax return is due in April',
    ]);
    expect(cosine(fact!, related!)).toBeGreaterThan(cosine(fact!, unrelated!));
  });
});

describe('word-vector and sentence embedders', () => {
  it('relate texts that share no word, which the hashed embedder cannot', async () => {
    const texts = ['She adopted a puppy last month', 'Does she have a dog?', 'He is repairing the engine of his car'];
    const [fact, synonym] = await createOfflineEmbedder({ variant: 'hashed', cacheDir }).embed(texts);
    expect(Math.abs(cosine(fact!, synonym!))).toBeLessThan(0.05);
    for (const variant of ['glove', 'glove+hashed', 'use', 'use+hashed'] as const) {
      const embedder = createOfflineEmbedder({ variant, cacheDir });
      const [f, s, u] = await embedder.embed(texts);
      expect(cosine(f!, s!)).toBeGreaterThan(cosine(f!, u!) + 0.2);
      expect(cosine(f!, s!)).toBeGreaterThan(0);
      expect(cosine(f!, u!)).toBeLessThan(embedder.calibration!.minSimilarity);
    }
  });

  it.each([
    ['glove', 'glove+hashed'],
    ['use', 'use+hashed'],
  ] as const)('mixes the two cosines in the combined vector (%s + hashed)', async (alone, combined) => {
    const texts = ['Loves painting sunsets by the lake', 'Which landscapes does she paint?'];
    const [one, hashed, both] = await Promise.all(
      [alone, 'hashed' as const, combined].map((variant) => createOfflineEmbedder({ variant, cacheDir }).embed(texts)),
    );
    const mean = (cosine(one![0]!, one![1]!) + cosine(hashed![0]!, hashed![1]!)) / 2;
    expect(cosine(both![0]!, both![1]!)).toBeCloseTo(mean, 6);
  });

  it('names every variant differently, and states the width it returns', async () => {
    const embedders = OFFLINE_EMBEDDER_VARIANTS.map((variant) => createOfflineEmbedder({ variant, cacheDir }));
    expect(new Set(embedders.map((e) => e.model)).size).toBe(embedders.length);
    for (const embedder of embedders) expect((await embedder.embed(['Lives in Lyon']))[0]).toHaveLength(embedder.dimensions);
  });

  it('loads the cache it built without reading the package again', async () => {
    const file = path.join(cacheDir, CACHE_FILE);
    const before = statSync(file);
    const started = performance.now();
    const words = await loadWordVectors(cacheDir, () => {
      throw new Error('the cache was rebuilt');
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(words.words.length).toBe(150_000);
    expect(words.rank('the')).toBe(0);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
  });

  it('refuses a damaged cache with a message that says what to do', async () => {
    const damaged = mkdtempSync(path.join(tmpdir(), 'engram-word-vectors-'));
    try {
      writeFileSync(path.join(damaged, CACHE_FILE), 'not a cache');
      await expect(loadWordVectors(damaged)).rejects.toThrow(/delete it to rebuild it/);
    } finally {
      rmSync(damaged, { recursive: true, force: true });
    }
  });
});
