import { EMBEDDING_DIMENSIONS } from '../db/schema';

/**
 * Fits an embedder's vector to the stored width. Shorter vectors are zero-padded, which leaves
 * cosine similarity unchanged; longer ones cannot be stored and get an error that says what to do.
 */
export function toStoredVector(vector: number[], model: string): number[] {
  if (vector.length === EMBEDDING_DIMENSIONS) return vector;
  if (vector.length > EMBEDDING_DIMENSIONS) {
    throw new Error(
      `The embedding model ${model} returned ${vector.length} dimensions; Engram stores at most ` +
        `${EMBEDDING_DIMENSIONS}. Set EMBEDDING_DIMENSIONS=${EMBEDDING_DIMENSIONS} (OpenAI text-embedding-3 ` +
        'models accept it) or choose a smaller model.',
    );
  }
  return [...vector, ...new Array<number>(EMBEDDING_DIMENSIONS - vector.length).fill(0)];
}
