import type { Store } from '../db/store';
import type { Embedder, ExtractFn } from '../ai/types';
import type { MemorySettings } from './settings';

/** What the memory engine is given: its database and model functions, never imported. */
export interface MemoryServices {
  /** Units of work as a user; the engine never holds one across a model call. */
  store: Store;
  extract: ExtractFn;
  embedder: Embedder;
  settings: MemorySettings;
}
