/**
 * The app's composition root: the database, the model providers and the memory settings, built
 * once per process from the settings and handed to lib/memory and lib/chat as arguments.
 */
import type { Embedder } from './ai/types';
import { createOfflineEmbedder, DEFAULT_OFFLINE_EMBEDDER } from './ai/offline/embedder';
import { createProviders } from './ai/providers';
import type { ChatDeps } from './chat/turn';
import { getDatabase } from './db';
import { createStore, type Store } from './db/store';
import { env, type Env } from './env';
import { createMemory, type Memory } from './memory';
import { DECAY_PRESETS, type DecayPolicy } from './memory/decay';
import { defaultMemorySettings, type MemorySettings } from './memory/settings';
import { streamingStaleAfterMs } from './chat/answer';
import { createBackgroundLane, type BackgroundLane } from './chat/background-lane';

/**
 * Two jobs at once keep up with a busy server's answers (a job is mostly waits on the vendor and
 * the database); a second is the longest a turn's learning waits behind other people's turns.
 */
const AFTER_ANSWER_LANE = { concurrency: 2, maxWaitMs: 1000 };

export function memorySettingsFrom(settings: Env, embedder: Embedder): MemorySettings {
  const calibration = embedder.calibration;
  const minSimilarity = settings.MEMORY_MIN_SIMILARITY ?? calibration?.minSimilarity ?? defaultMemorySettings.retrieve.minSimilarity;
  return {
    ...defaultMemorySettings,
    retrieve: { k: settings.MEMORY_TOP_K, minSimilarity, ranking: settings.MEMORY_RANKING },
    episodes: { ...defaultMemorySettings.episodes, minSimilarity, tokenBudget: settings.MEMORY_EPISODE_TOKEN_BUDGET },
    write: {
      ...defaultMemorySettings.write,
      minConfidence: settings.MEMORY_MIN_CONFIDENCE,
      duplicateCosine:
        settings.MEMORY_DUPLICATE_COSINE ?? calibration?.duplicateCosine ?? defaultMemorySettings.write.duplicateCosine,
    },
    shortTerm: { recentTurns: settings.MEMORY_RECENT_TURNS, summarizeAfter: settings.MEMORY_SUMMARIZE_AFTER },
    memoryTokenBudget: settings.MEMORY_TOKEN_BUDGET,
  };
}

/** The decay policy: the profile's numbers, each overridable by its own setting. */
export function decayPolicyFrom(settings: Env): DecayPolicy {
  const preset = DECAY_PRESETS[settings.MEMORY_PROFILE];
  return {
    ttlDays: settings.MEMORY_TTL_DAYS ?? preset.ttlDays,
    minAccessCount: settings.MEMORY_TTL_MIN_USES ?? preset.minAccessCount,
    maxFactsPerUser: settings.MEMORY_MAX_FACTS ?? preset.maxFactsPerUser,
    historyRetentionDays: settings.MEMORY_HISTORY_RETENTION_DAYS ?? preset.historyRetentionDays,
  };
}

export interface AppServices {
  /** The only way the app reaches user data: units of work as a user, or as the system. */
  store: Store;
  memory: Memory;
  chat: ChatDeps;
  /** Where the work that follows each answer runs, behind the turns waiting for theirs. */
  background: BackgroundLane;
}

async function build(): Promise<AppServices> {
  const settings = env();
  const store = createStore(await getDatabase());
  const providers = createProviders(settings);
  const { chat, extract, embedder, offline } = providers;
  const memory = createMemory({ store, extract, embedder, settings: memorySettingsFrom(settings, embedder) });
  return {
    store,
    memory,
    chat: {
      store,
      memory,
      chat,
      extract,
      offline,
      maxReplyTokens: settings.CHAT_MAX_REPLY_TOKENS,
      streamingStaleAfterMs: streamingStaleAfterMs(settings.MODEL_TIMEOUT_MS),
    },
    background: createBackgroundLane(AFTER_ANSWER_LANE),
  };
}

const cache = globalThis as typeof globalThis & { engramServices?: Promise<AppServices> };

/** The services of this process (kept across hot reloads in development). */
export function getServices(): Promise<AppServices> {
  cache.engramServices ??= build().catch((error: unknown) => {
    // A failed start (database down) is retried by the next request, not cached for good.
    cache.engramServices = undefined;
    throw error;
  });
  return cache.engramServices;
}

/**
 * Loads at start-up what the first chat turn would otherwise wait for: the services with their
 * database, and the offline embedder (its sentence encoder takes seconds to load and to run its
 * first text). An embedding vendor is not called: that would cost a request for nothing.
 */
export async function warmUp(): Promise<void> {
  const settings = env();
  await Promise.all([
    getServices(),
    settings.embeddingProvider === 'openai' ? undefined : createOfflineEmbedder(DEFAULT_OFFLINE_EMBEDDER).embed(['warm up']),
  ]);
}
