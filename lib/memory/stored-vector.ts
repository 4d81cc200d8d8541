import { sql, type SQL } from 'drizzle-orm';
import { HalfvecParam } from '../db/halfvec';

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

/** A vector as a halfvec parameter (cast it: `${vectorParam(…)}::halfvec`), checked first. */
export const vectorParam = (vector: number[], model: string): HalfvecParam => new HalfvecParam(toStoredVector(vector, model));

/** Vectors (or nulls) as one `halfvec[]` value, each a parameter of its own; at least one. */
export function vectorArray(vectors: (number[] | null)[], model: string): SQL {
  const elements = vectors.map((v) => (v === null ? sql`NULL::halfvec` : sql`${vectorParam(v, model)}::halfvec`));
  return sql`ARRAY[${sql.join(elements, sql`, `)}]`;
}

/**
 * Rows of the query's model and width. One model has one width, but a model whose width changed
 * (or vectors stored before widths were exact) must be skipped rather than fail the distance
 * operator; the width is inlined, a constant the planner can match against a partial index.
 */
export function sameEmbedding(alias: string, model: string, vector: number[]): SQL {
  const embedding = sql.raw(`${alias}.embedding`);
  return sql`${sql.raw(alias)}.model = ${model} AND vector_dims(${embedding}) = ${sql.raw(String(toStoredVector(vector, model).length))}`;
}

/**
 * sameEmbedding for a search on the sign bits alone (episode_embeddings.embedding_bits): one bit
 * per dimension, so the bit length is the width, read from the covering index without the vector.
 */
export function sameEmbeddingBits(alias: string, model: string, vector: number[]): SQL {
  const bits = sql.raw(`${alias}.embedding_bits`);
  return sql`${sql.raw(alias)}.model = ${model} AND length(${bits}) = ${sql.raw(String(toStoredVector(vector, model).length))}`;
}
