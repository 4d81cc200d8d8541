/**
 * The offline embedders, which need no vendor and no network: hashed words and word pieces
 * (exact names, rare words), GloVe word vectors with SIF weighting (synonyms, related words), a
 * packaged sentence encoder (Universal Sentence Encoder lite: meaning beyond single words), or
 * one of the last two joined with the hashed one in one vector. The default is the one the
 * LoCoMo evaluation chose (scripts/eval-locomo.ts).
 */
import type { Embedder } from '../types';
import { hashedEmbedder, hashedVector } from './hashed-embedder';
import { encodeSentences, SENTENCE_ENCODER_DIMENSIONS } from './sentence-encoder';
import { createSifModel, sifVector, type SifModel } from './sif';
import { loadWordVectors, WORD_VECTOR_DIMENSIONS } from './word-vectors';
import { contentWords } from './words';

export const OFFLINE_EMBEDDER_VARIANTS = ['hashed', 'glove', 'glove+hashed', 'use', 'use+hashed'] as const;
export type OfflineEmbedderVariant = (typeof OFFLINE_EMBEDDER_VARIANTS)[number];
export const DEFAULT_OFFLINE_EMBEDDER: OfflineEmbedderVariant = 'glove+hashed';

export interface OfflineEmbedderOptions {
  variant: OfflineEmbedderVariant;
  /** Where the word-vector cache is built once and then read (the app passes DATA_DIR/models). */
  cacheDir: string;
}

/**
 * SIF's smoothing constant on Zipf-estimated word probabilities, and the glove side's share of
 * the combined cosine; both chosen on LoCoMo conversation 26 and checked on 30 and 44. A change
 * to either, to the vocabulary or to the tokenising changes the vectors: bump the model names.
 */
const SIF_A = 3e-4;
const GLOVE_SHARE = 0.5;
/**
 * The sentence encoder's share of the combined cosine, chosen on LoCoMo conversation 26 alone:
 * retrieval recall@8 (hybrid) 0.557 / 0.556 / 0.581 / 0.581 / 0.565 / 0.565 at 0.3 / 0.4 / 0.5 /
 * 0.6 / 0.7 / 0.8, and pipeline recall@8 0.543 / 0.537 / 0.529 / 0.536 at 0.4 / 0.5 / 0.6 / 0.7
 * (one question is about 0.007): 0.5, best at ranking and within a question of the best in the
 * pipeline. Its vectors change with it: bump the model name.
 */
const USE_SHARE = 0.5;

export function createOfflineEmbedder({ variant, cacheDir }: OfflineEmbedderOptions): Embedder {
  if (variant === 'hashed') return hashedEmbedder;
  if (variant === 'use') {
    return {
      model: 'offline-use-lite-v1',
      dimensions: SENTENCE_ENCODER_DIMENSIONS,
      // On LoCoMo (26, 30, 44), 90% of a conversation's question-fact pairs that are not evidence
      // score under 0.54 (0.59 with a speaker's name in both; evidence pairs: median 0.57), and the
      // closest distinct fact of a conversation is under 0.95 in 99% of cases. A sentence encoder
      // scores everything higher: "Lives in Berlin" / "Lives in Paris" 0.77.
      calibration: { minSimilarity: 0.54, duplicateCosine: 0.95 },
      embed: (texts) => encodeSentences(texts),
    };
  }
  if (variant === 'use+hashed') {
    const [use, hashed] = [Math.sqrt(USE_SHARE), Math.sqrt(1 - USE_SHARE)];
    return {
      model: 'offline-use-hashed-v1',
      dimensions: SENTENCE_ENCODER_DIMENSIONS + hashedEmbedder.dimensions,
      // On LoCoMo (26, 30, 44), 90% of a conversation's question-fact pairs that are not evidence
      // score under 0.38 (0.41 with a speaker's name in both; evidence pairs: median 0.43, a
      // quarter under 0.34), and the closest distinct fact of a conversation is under 0.89 in 99%
      // of cases. "Is vegetarian" / "Is a vegetarian" 0.97, "Prefers short answers" / "Prefers
      // brief answers" 0.82, "Lives in Berlin" / "Lives in Paris" 0.63.
      calibration: { minSimilarity: 0.38, duplicateCosine: 0.9 },
      embed: async (texts) => {
        const sentences = await encodeSentences(texts);
        return texts.map((text, i) => [...sentences[i]!.map((x) => x * use), ...hashedVector(text).map((x) => x * hashed)]);
      },
    };
  }
  const model = () => sifModel(cacheDir);
  if (variant === 'glove') {
    return {
      model: 'offline-glove-sif-v1',
      dimensions: WORD_VECTOR_DIMENSIONS,
      // On LoCoMo, 90% of unrelated question-fact pairs score under 0.46 (0.52 with the speakers'
      // names in both), and the closest two distinct facts of a conversation under 0.95 in 99% of cases.
      calibration: { minSimilarity: 0.45, duplicateCosine: 0.95 },
      embed: async (texts) => {
        const sif = await model();
        return texts.map((text) => Array.from(sifVector(sif, gloveWords(text))));
      },
    };
  }
  // Concatenated unit vectors scaled by √share and √(1 - share): one cosine that is the
  // share-weighted mean of the two embedders' cosines.
  const [glove, hashed] = [Math.sqrt(GLOVE_SHARE), Math.sqrt(1 - GLOVE_SHARE)];
  return {
    model: 'offline-glove-hashed-v1',
    dimensions: WORD_VECTOR_DIMENSIONS + hashedEmbedder.dimensions,
    // On LoCoMo, 90% of unrelated question-fact pairs score under 0.27 (0.36 with the speakers'
    // names in both), and the closest two distinct facts of a conversation under 0.92 in 99% of cases.
    calibration: { minSimilarity: 0.3, duplicateCosine: 0.92 },
    embed: async (texts) => {
      const sif = await model();
      return texts.map((text) => [
        ...Array.from(sifVector(sif, gloveWords(text)), (x) => x * glove),
        ...hashedVector(text).map((x) => x * hashed),
      ]);
    },
  };
}

/** Content words as GloVe spells them: "Caroline's" is "caroline" followed by "'s". */
function gloveWords(text: string): string[] {
  return contentWords(text.replace(/['’]s\b/gi, ''));
}

/** Words the tokeniser can produce, for estimating the direction every text shares. */
const isContentWord = (word: string) => /^[\p{L}\p{N}]+$/u.test(word) && contentWords(word).length === 1;

/** One load per cache folder, shared by concurrent first calls; a failed load is retried next time. */
const models = new Map<string, Promise<SifModel>>();

function sifModel(cacheDir: string): Promise<SifModel> {
  let loading = models.get(cacheDir);
  if (!loading) {
    loading = loadWordVectors(cacheDir).then((words) => createSifModel(words, { a: SIF_A, eligible: isContentWord }));
    loading.catch(() => models.delete(cacheDir));
    models.set(cacheDir, loading);
  }
  return loading;
}
