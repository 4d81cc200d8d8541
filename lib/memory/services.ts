import type { Database } from '../db/client';
import type { Embedder, ExtractFn } from '../ai/types';
import type { MemorySettings } from './settings';

/** What the memory engine is given: its database and model functions, never imported. */
export interface MemoryServices {
  db: Database;
  extract: ExtractFn;
  embedder: Embedder;
  settings: MemorySettings;
}
