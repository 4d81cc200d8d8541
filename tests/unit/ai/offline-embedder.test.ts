import { beforeAll, describe, expect, it } from 'vitest';
import { createOfflineEmbedder, DEFAULT_OFFLINE_EMBEDDER, OFFLINE_EMBEDDER_VARIANTS } from '@/lib/ai/offline/embedder';

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
const norm = (v: number[]) => Math.sqrt(cosine(v, v));

// The sentence encoder loads from its package in under a second; once for the whole file.
beforeAll(async () => {
  await createOfflineEmbedder('use').embed(['warm-up']);
}, 60_000);

describe.each(OFFLINE_EMBEDDER_VARIANTS)('offline embedder %s', (variant) => {
  const embedder = createOfflineEmbedder(variant);

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
    expect(await embedder.embed(texts)).toEqual(vectors);
  });

  it('gives a blank text the zero vector, and a text of function words one only when it reads words alone', async () => {
    const [blank, spaces, functionWords] = await embedder.embed(['', '   ', 'and the of it']);
    expect(blank!.every((x) => x === 0)).toBe(true);
    expect(spaces!.every((x) => x === 0)).toBe(true);
    // A sentence encoder reads the whole sentence: function words still mean something to it.
    expect(functionWords!.every((x) => x === 0)).toBe(variant === 'hashed');
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

describe('the sentence encoder variants', () => {
  it('relate texts that share no word, which the hashed embedder cannot', async () => {
    const texts = ['She adopted a puppy last month', 'Does she have a dog?', 'He is repairing the engine of his car'];
    const [fact, synonym] = await createOfflineEmbedder('hashed').embed(texts);
    expect(Math.abs(cosine(fact!, synonym!))).toBeLessThan(0.05);
    for (const variant of ['use', 'use+hashed'] as const) {
      const embedder = createOfflineEmbedder(variant);
      const [f, s, u] = await embedder.embed(texts);
      expect(cosine(f!, s!)).toBeGreaterThan(cosine(f!, u!) + 0.2);
      expect(cosine(f!, u!)).toBeLessThan(embedder.calibration!.minSimilarity);
    }
  });

  it('mixes the two cosines in the combined vector', async () => {
    const texts = ['Loves painting sunsets by the lake', 'Which landscapes does she paint?'];
    const [sentence, hashed, both] = await Promise.all(
      (['use', 'hashed', 'use+hashed'] as const).map((variant) => createOfflineEmbedder(variant).embed(texts)),
    );
    const mean = (cosine(sentence![0]!, sentence![1]!) + cosine(hashed![0]!, hashed![1]!)) / 2;
    expect(cosine(both![0]!, both![1]!)).toBeCloseTo(mean, 6);
  });

  it('keep near-duplicates above the duplicate threshold and different values below it', async () => {
    const embedder = createOfflineEmbedder(DEFAULT_OFFLINE_EMBEDDER);
    const [a, b, berlin, paris] = await embedder.embed(['Is vegetarian', 'Is a vegetarian', 'Lives in Berlin', 'Lives in Paris']);
    expect(cosine(a!, b!)).toBeGreaterThan(embedder.calibration!.duplicateCosine);
    expect(cosine(berlin!, paris!)).toBeLessThan(embedder.calibration!.duplicateCosine);
  });

  it('name every variant differently', () => {
    const models = OFFLINE_EMBEDDER_VARIANTS.map((variant) => createOfflineEmbedder(variant).model);
    expect(new Set(models).size).toBe(models.length);
  });
});
