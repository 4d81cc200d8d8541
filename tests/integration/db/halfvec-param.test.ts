/**
 * Vectors go to PostgreSQL as halfvec parameters: binary half precision from node-postgres, text
 * from PGlite. Either way the database must store what it would have stored from the vector's
 * text, which PostgreSQL itself converts (float4, then half, ties to even): it is the oracle here,
 * for the halves the app computes (on both engines) and for what a server stores from them.
 */
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { selectRows } from '@/lib/db/rows';
import { halfBits } from '@/lib/db/halfvec';
import { vectorParam } from '@/lib/memory/stored-vector';
import { describeOnEngine } from '../engines';

/** A deterministic generator, so a failure names the same values on every run. */
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** The value half-precision bits stand for (exact in a double). */
function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  return sign * (exponent === 0 ? mantissa * 2 ** -24 : (1 + mantissa / 1024) * 2 ** (exponent - 15));
}

describeOnEngine('vectors as halfvec parameters', (db) => {
  // What PostgreSQL stores from the vector's text, sent as a parameter (binary to a server, text
  // to PGlite), and as float4 values: each half is a float4, whose text reads back exactly.
  const stored = async (vector: number[]) => {
    const [row] = await selectRows<{ sent: string; text: string; values: string }>(
      db(),
      sql`SELECT ${vectorParam(vector, 'test-model')}::halfvec::text AS sent, t.v::text AS text, t.v::real[]::text AS values
          FROM (SELECT ${JSON.stringify(vector)}::halfvec AS v) t`,
    );
    const { sent, text, values } = row!;
    return { sent, text, values: values.slice(1, -1).split(',').map((x) => Math.fround(Number(x))) };
  };

  it('stores what the vector\'s text would store: embeddings, subnormals, ties and the largest values', async () => {
    const random = seeded(7);
    // Shaped like embeddings: unit-length 1,536-d vectors of float4 values, as the SDKs return them.
    const embedding = Array.from(new Float32Array(Array.from({ length: 1536 }, () => random() - 0.5)));
    const norm = Math.hypot(...embedding);
    const unit = embedding.map((x) => Math.fround(x / norm));
    const edges = [
      0, 1, -1, 0.1, 1 / 3, -2 / 3, 65504, -65504, 65519, 2047.5, 4095.5,
      // Ties between two halves, each way: 1 + 2^-11 rounds down to even, 1 + 3 * 2^-11 up.
      1 + 2 ** -11, 1 + 3 * 2 ** -11, -(1 + 2 ** -11),
      // The smallest normal half, subnormals, their ties, and values that round to zero.
      2 ** -14, 2 ** -14 - 2 ** -25, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 1.5 * 2 ** -24, 2 ** -26, 1e-9, -3e-6, 6.1e-5,
    ];
    const many = Array.from({ length: 3072 }, () => Math.fround((random() - 0.5) * 2 ** Math.floor(random() * 40 - 30)));
    for (const vector of [unit, edges, many]) {
      const { sent, text, values } = await stored(vector);
      expect(vector.map((x) => halfValue(halfBits(x)))).toEqual(values);
      expect(sent).toBe(text);
    }
  });

  it('is refused as its text is when a value does not fit in half precision', async () => {
    await expect(stored([1, 70000])).rejects.toThrow();
    await expect(selectRows(db(), sql`SELECT ${JSON.stringify([1, 70000])}::halfvec AS v`)).rejects.toThrow();
  });

  it('is 2 bytes a dimension, in halfvec\'s binary layout, for a server', () => {
    const sent = vectorParam([0.25, -0.5, 1], 'test-model').toPostgres();
    expect([...sent]).toEqual([0, 3, 0, 0, 0x34, 0x00, 0xb8, 0x00, 0x3c, 0x00]);
  });
});
