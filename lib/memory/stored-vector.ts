import { sql, type SQL } from 'drizzle-orm';

/**
 * The widest vector Engram stores: text-embedding-3-large's native size. Vectors are stored at
 * their embedder's own width (no padding: a narrower vector is fewer bytes to read per search),
 * inline in their row, which a wider half-precision vector would not fit.
 */
export const MAX_STORED_DIMENSIONS = 3072;

/** Checks an embedder's vector before it is stored or searched with; the error says what to do. */
export function toStoredVector(vector: number[], model: string): number[] {
  if (vector.length === 0 || vector.length > MAX_STORED_DIMENSIONS) {
    throw new Error(
      `The embedding model ${model} returned ${vector.length} dimensions; Engram stores 1 to ` +
        `${MAX_STORED_DIMENSIONS}. Set EMBEDDING_DIMENSIONS (OpenAI text-embedding-3 models accept it) ` +
        'or choose another model.',
    );
  }
  return vector;
}

/** A query vector as a halfvec literal's text. */
export const vectorParam = (vector: number[], model: string): string => JSON.stringify(toStoredVector(vector, model));

/**
 * Rows of the query's model and width. One model has one width, but a model whose width changed
 * (or vectors stored before widths were exact) must be skipped rather than fail the distance
 * operator; the width is inlined, a constant the planner can match against a partial index.
 */
export function sameEmbedding(alias: string, model: string, vector: number[]): SQL {
  const embedding = sql.raw(`${alias}.embedding`);
  return sql`${sql.raw(alias)}.model = ${model} AND vector_dims(${embedding}) = ${sql.raw(String(toStoredVector(vector, model).length))}`;
}
