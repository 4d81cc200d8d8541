/**
 * How a vector travels to PostgreSQL as a halfvec parameter. node-postgres sends what an object's
 * `toPostgres` returns, and a Buffer in binary format: halfvec's own layout (dimensions, a zero,
 * then each value as big-endian half bits), 2 bytes a dimension. As text (`toString`, which PGlite
 * sends) a 1,536-d vector is ~32 KB that JSON.stringify formats and PostgreSQL parses back: ~0.4 ms
 * of the app's CPU and ~0.5 ms of the database's per statement on a 2-core machine.
 */
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

/** A vector as a halfvec parameter, binary to a server and text to PGlite. */
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

