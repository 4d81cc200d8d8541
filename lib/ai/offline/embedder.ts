/** The offline embedders by name; the default is the one the LoCoMo evaluation chose. */
import type { Embedder } from '../types';
import { hashedEmbedder } from './hashed-embedder';

export const OFFLINE_EMBEDDERS = { hashed: hashedEmbedder } satisfies Record<string, Embedder>;
export type OfflineEmbedderName = keyof typeof OFFLINE_EMBEDDERS;
export const DEFAULT_OFFLINE_EMBEDDER: OfflineEmbedderName = 'hashed';
