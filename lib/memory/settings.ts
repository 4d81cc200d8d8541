import { defaultEpisodeOptions, type EpisodeOptions } from './episodes';
import { defaultRetrieveOptions, type RetrieveOptions } from './retrieve';
import { defaultShortTermOptions, type ShortTermOptions } from './short-term';
import { defaultWriteFactsOptions, type WriteFactsOptions } from './write-facts';

/** Every tunable of the memory engine; the app fills it from its settings, tests from defaults. */
export interface MemorySettings {
  retrieve: RetrieveOptions;
  /** Past conversations: how many excerpts, how close, in what budget. */
  episodes: EpisodeOptions;
  write: WriteFactsOptions;
  shortTerm: ShortTermOptions;
  /** Tokens the memory block may take in the system prompt. */
  memoryTokenBudget: number;
  /** Extraction attempts per turn before the sweep gives up on it. */
  maxExtractionAttempts: number;
}

export const defaultMemorySettings: MemorySettings = {
  retrieve: defaultRetrieveOptions,
  episodes: defaultEpisodeOptions,
  write: defaultWriteFactsOptions,
  shortTerm: defaultShortTermOptions,
  memoryTokenBudget: 800,
  maxExtractionAttempts: 5,
};
