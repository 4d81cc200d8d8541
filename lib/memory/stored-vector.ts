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

const float = new Float32Array(1);
const floatBits = new Uint32Array(float.buffer);

/**
 * The IEEE half-precision bits of `value` as a float4 (PostgreSQL's strtof) rounded to the nearest
 * half, ties to even: pgvector's float4-to-half conversion, so a vector sent this way is stored
 * exactly as its text would be. Infinite or NaN where the text would be refused too.
 */
export function halfBits(value: number): number {
  float[0] = value;
  const bits = floatBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  // Rebiased from float's 127 to half's 15.
  const half = exponent - 112;
  if (half >= 0x1f) return sign | 0x7c00;
  if (half <= 0) {
    // A subnormal half (or zero): the implicit bit joins the mantissa, shifted further.
    if (half < -10) return sign;
    return sign | roundedShift(mantissa | 0x800000, 14 - half);
  }
  // A carry out of the mantissa rounds up into the exponent, as it should.
  return sign | roundedShift((half << 23) | mantissa, 13);
}

function roundedShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  return rest > halfway || (rest === halfway && kept & 1) ? kept + 1 : kept;
}

/**
 * A vector as a halfvec parameter. node-postgres sends what `toPostgres` returns, and a Buffer in
 * binary format: halfvec's own layout (dimensions, a zero, then each value as big-endian half
 * bits), 2 bytes a dimension. As text (`toString`, which PGlite sends) a 1,536-d vector is ~32 KB
 * that JSON.stringify formats and PostgreSQL parses back: ~0.4 ms of the app's CPU and ~0.5 ms of
 * the database's per statement on this machine, several times a turn.
 */
export class HalfvecParam {
  constructor(private readonly values: readonly number[]) {}

  toPostgres(): Buffer {
    const buffer = Buffer.allocUnsafe(4 + 2 * this.values.length);
    buffer.writeUInt16BE(this.values.length, 0);
    buffer.writeUInt16BE(0, 2);
    this.values.forEach((value, i) => buffer.writeUInt16BE(halfBits(value), 4 + 2 * i));
    return buffer;
  }

  toString(): string {
    return JSON.stringify(this.values);
  }
}

/** A vector as a halfvec parameter (cast it: `${vectorParam(…)}::halfvec`), checked first. */
export const vectorParam = (vector: number[], model: string): HalfvecParam => new HalfvecParam(toStoredVector(vector, model));

/**
 * Rows of the query's model and width. One model has one width, but a model whose width changed
 * (or vectors stored before widths were exact) must be skipped rather than fail the distance
 * operator; the width is inlined, a constant the planner can match against a partial index.
 */
export function sameEmbedding(alias: string, model: string, vector: number[]): SQL {
  const embedding = sql.raw(`${alias}.embedding`);
  return sql`${sql.raw(alias)}.model = ${model} AND vector_dims(${embedding}) = ${sql.raw(String(toStoredVector(vector, model).length))}`;
}
