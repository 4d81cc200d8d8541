/**
 * A lexical embedder that needs no model: each word and each character trigram of a word adds
 * a hashed, signed direction (the "hashing trick"), weighted sublinearly. Texts that share
 * words or word pieces ("hike", "hiking") are close; synonyms are not. No download, no memory.
 */
import type { Embedder } from '../types';
import { contentWords } from './words';

const DIMENSIONS = 512;
/** Word pieces count for less than whole words: they add recall on inflections, and noise. */
const TRIGRAM_WEIGHT = 0.35;

/** FNV-1a, 32-bit: fast, stable across runs and platforms. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function addFeature(vector: Float64Array, feature: string, weight: number) {
  const hash = fnv1a(feature);
  // One bit of the hash picks the sign, so collisions cancel out on average instead of adding up.
  vector[hash % DIMENSIONS]! += hash & 0x80000000 ? -weight : weight;
}

export function hashedVector(text: string): number[] {
  const counts = new Map<string, number>();
  for (const word of contentWords(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const vector = new Float64Array(DIMENSIONS);
  for (const [word, count] of counts) {
    const weight = 1 + Math.log(count);
    addFeature(vector, `w:${word}`, weight);
    const padded = `<${word}>`;
    for (let i = 0; i + 3 <= padded.length; i++) addFeature(vector, `t:${padded.slice(i, i + 3)}`, weight * TRIGRAM_WEIGHT);
  }
  const norm = Math.hypot(...vector) || 1;
  return Array.from(vector, (x) => x / norm);
}

export const hashedEmbedder: Embedder = {
  // The name changes whenever the vectors would: facts embedded by another version are not compared.
  model: 'offline-hashed-v1',
  dimensions: DIMENSIONS,
  // Measured on the LoCoMo dev split: 90% of unrelated question-fact pairs score under 0.25, and
  // different facts in the same words ("Lives in Berlin" / "Lives in Paris") score about 0.5, so
  // only near-identical wording counts as a duplicate.
  calibration: { minSimilarity: 0.25, duplicateCosine: 0.9 },
  embed: async (texts) => texts.map(hashedVector),
};
