/**
 * The offline embedders, which need no vendor and no network: hashed words and word pieces
 * (exact names, rare words), a packaged sentence encoder (Universal Sentence Encoder lite:
 * meaning beyond shared words), or both in one vector. The default is the one the LoCoMo
 * evaluation chose (scripts/eval-locomo.ts); README "LoCoMo" has the figures.
 */
import type { Embedder } from '../types';
import { hashedEmbedder, hashedVector } from './hashed-embedder';
import { encodeSentences, SENTENCE_ENCODER_DIMENSIONS } from './sentence-encoder';

export const OFFLINE_EMBEDDER_VARIANTS = ['hashed', 'use', 'use+hashed'] as const;
export type OfflineEmbedderVariant = (typeof OFFLINE_EMBEDDER_VARIANTS)[number];
/**
 * On LoCoMo 26, 30 and 44 (2026-11-26), pipeline recall@8 0.535 against 0.518 for the GloVe +
 * hashed embedder it replaced (retrieval only 0.579 against 0.548), for ~20 ms per message and
 * ~100 MB of memory once loaded.
 */
export const DEFAULT_OFFLINE_EMBEDDER: OfflineEmbedderVariant = 'use+hashed';

/**
 * The sentence encoder's share of the combined cosine, chosen on LoCoMo conversation 26 alone:
 * retrieval recall@8 (hybrid) 0.557 / 0.556 / 0.581 / 0.581 / 0.565 / 0.565 at 0.3 / 0.4 / 0.5 /
 * 0.6 / 0.7 / 0.8, and pipeline recall@8 0.543 / 0.537 / 0.529 / 0.536 at 0.4 / 0.5 / 0.6 / 0.7
 * (one question is about 0.007): 0.5, best at ranking and within a question of the best in the
 * pipeline. Its vectors change with it: bump the model name.
 */
const USE_SHARE = 0.5;

const sentenceEmbedder: Embedder = {
  model: 'offline-use-lite-v1',
  dimensions: SENTENCE_ENCODER_DIMENSIONS,
  // On LoCoMo (26, 30, 44), 90% of a conversation's question-fact pairs that are not evidence
  // score under 0.54 (0.59 with a speaker's name in both; evidence pairs: median 0.57), and the
  // closest distinct fact of a conversation is under 0.95 in 99% of cases. A sentence encoder
  // scores everything higher: "Lives in Berlin" / "Lives in Paris" 0.77.
  calibration: { minSimilarity: 0.54, duplicateCosine: 0.95 },
  embed: (texts) => encodeSentences(texts),
};

/**
 * Concatenated unit vectors scaled by √share and √(1 - share): one cosine that is the
 * share-weighted mean of the two embedders' cosines.
 */
const [sentenceScale, hashedScale] = [Math.sqrt(USE_SHARE), Math.sqrt(1 - USE_SHARE)];
const sentenceHashedEmbedder: Embedder = {
  model: 'offline-use-hashed-v1',
  dimensions: SENTENCE_ENCODER_DIMENSIONS + hashedEmbedder.dimensions,
  // On LoCoMo (26, 30, 44), 90% of a conversation's question-fact pairs that are not evidence
  // score under 0.38 (0.41 with a speaker's name in both; evidence pairs: median 0.43, a
  // quarter under 0.34), and the closest distinct fact of a conversation is under 0.89 in 99%
  // of cases. "Is vegetarian" / "Is a vegetarian" 0.97, "Prefers short answers" / "Prefers
  // brief answers" 0.82, "Lives in Berlin" / "Lives in Paris" 0.63. (Measured the same way,
  // GloVe + hashed: 0.36, 0.40, 0.43, 0.88.)
  calibration: { minSimilarity: 0.38, duplicateCosine: 0.9 },
  embed: async (texts) => {
    const sentences = await encodeSentences(texts);
    return texts.map((text, i) => [
      ...sentences[i]!.map((x) => x * sentenceScale),
      ...hashedVector(text).map((x) => x * hashedScale),
    ]);
  },
};

const EMBEDDERS: Record<OfflineEmbedderVariant, Embedder> = {
  hashed: hashedEmbedder,
  use: sentenceEmbedder,
  'use+hashed': sentenceHashedEmbedder,
};

/** The variant's embedder; the sentence encoder loads on the first text it is given, once per process. */
export function createOfflineEmbedder(variant: OfflineEmbedderVariant): Embedder {
  return EMBEDDERS[variant];
}
