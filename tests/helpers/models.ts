/**
 * Scripted model functions for memory tests: an embedder whose vectors the test chooses, and an
 * extract function that answers from a script. They implement the same interfaces as the real
 * providers; the database under them is always real.
 */
import { createHash } from 'node:crypto';
import type { Embedder, ExtractFn, ExtractRequest } from '@/lib/ai/types';
import { extractionSchema } from '@/lib/memory/extract-facts';

const DIMENSIONS = 64;

/** A unit vector along `axis`, leaning a little towards `axis + 1` (cosine to the pure axis ≈ 1 - lean²/2). */
export function axisVector(axis: number, lean = 0): number[] {
  const v = new Array<number>(DIMENSIONS).fill(0);
  v[axis] = 1;
  v[axis + 1] = lean;
  const norm = Math.hypot(1, lean);
  return v.map((x) => x / norm);
}

/** A stable pseudo-random unit vector for text the test did not place. */
function hashedVector(text: string): number[] {
  const bytes = createHash('sha256').update(text).digest();
  const v = Array.from({ length: DIMENSIONS }, (_, i) => (bytes[i % bytes.length]! - 127.5) / 127.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

export function scriptedEmbedder(placed: Record<string, number[]> = {}, model = 'test-embedder'): Embedder & {
  calls: string[][];
} {
  const calls: string[][] = [];
  return {
    model,
    dimensions: DIMENSIONS,
    calls,
    async embed(texts) {
      calls.push(texts);
      return texts.map((t) => placed[t] ?? hashedVector(t));
    },
  };
}

/** Answers each extract call with the next scripted value (validated by the request's schema). */
export function scriptedExtract(...answers: (unknown | Error)[]): ExtractFn & { requests: ExtractRequest<unknown>[] } {
  const requests: ExtractRequest<unknown>[] = [];
  const fn = async <T>(request: ExtractRequest<T>): Promise<T> => {
    requests.push(request as ExtractRequest<unknown>);
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`no scripted answer for ${request.name}`);
    if (answer instanceof Error) throw answer;
    return request.schema.parse(answer);
  };
  return Object.assign(fn, { requests });
}

/** One extraction request as the writer sends it: "I live in Berlin" with the facts schema. */
export const factRequest = {
  name: 'record_facts',
  description: 'Record facts',
  system: 'You record facts.',
  prompt: 'The user said: "I live in Berlin"',
  schema: extractionSchema,
};
