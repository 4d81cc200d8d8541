/**
 * Chat dependencies for integration tests: a real database, the offline providers (the hashed
 * embedder with its own similarity floor), or Claude's SDK pointed at the fake vendor server.
 */
import { anthropicChat, anthropicClient, anthropicExtract } from '@/lib/ai/anthropic';
import { hashedEmbedder } from '@/lib/ai/offline/hashed-embedder';
import { offlineExtract } from '@/lib/ai/offline/extract';
import { offlineChat } from '@/lib/ai/offline/reply-writer';
import type { ChatFn, Embedder, ExtractFn } from '@/lib/ai/types';
import { afterTurn } from '@/lib/chat/after-turn';
import type { TurnEvent } from '@/lib/chat/events';
import { startTurn, streamReply, type ChatDeps, type TurnUser } from '@/lib/chat/turn';
import { and, eq } from 'drizzle-orm';
import type { Database } from '@/lib/db/client';
import { conversationTurns } from '@/lib/db/schema';
import type { Store } from '@/lib/db/store';
import { createMemory } from '@/lib/memory';
import type { MemoryServices } from '@/lib/memory/services';
import { defaultMemorySettings } from '@/lib/memory/settings';
import type { FakeVendorServer } from '../fakes/vendor-server';
import { streamingStaleAfterMs } from '@/lib/chat/answer';

/** The memory engine's services over `store`, with the embedder's own similarity floor (as lib/services.ts). */
export function memoryServices(store: Store, extract: ExtractFn = offlineExtract, embedder: Embedder = hashedEmbedder): MemoryServices {
  const minSimilarity = embedder.calibration?.minSimilarity ?? defaultMemorySettings.retrieve.minSimilarity;
  const { retrieve, episodes } = defaultMemorySettings;
  return { store, extract, embedder, settings: { ...defaultMemorySettings, retrieve: { ...retrieve, minSimilarity }, episodes: { ...episodes, minSimilarity } } };
}

/** The chat's dependencies over memory services, composed as lib/services.ts composes the app's. */
export function chatDepsOf(services: MemoryServices, chat?: ChatFn, offline = !chat, modelTimeoutMs = 60_000): ChatDeps {
  return {
    store: services.store,
    memory: createMemory(services),
    chat: chat ?? offlineChat,
    extract: services.extract,
    offline,
    maxReplyTokens: 512,
    streamingStaleAfterMs: streamingStaleAfterMs(modelTimeoutMs),
  };
}

export function chatDeps(store: Store, models: { chat?: ChatFn; extract?: ExtractFn; offline?: boolean } = {}): ChatDeps {
  return chatDepsOf(memoryServices(store, models.extract), models.chat, models.offline);
}

/** Claude's chat and extraction through the real SDK, against the fake vendor server. */
export function fakeClaude(fake: FakeVendorServer): { chat: ChatFn; extract: ExtractFn } {
  const client = anthropicClient({ apiKey: 'test', baseURL: fake.anthropicBaseUrl, timeoutMs: 5000, maxRetries: 0 });
  return { chat: anthropicChat(client, 'claude-test'), extract: anthropicExtract(client, 'claude-test-small') };
}

/**
 * One turn through the product below HTTP: the message stored, the prompt prepared, the answer
 * read to the end and stored, then the after-response work (extraction, episode, title).
 */
export async function chatTurn(deps: ChatDeps, user: TurnUser, body: { message: string; conversationId?: string }) {
  const started = await startTurn(deps, user, body);
  if (!started.ok) throw new Error(started.error);
  const events: TurnEvent[] = [];
  let reply = '';
  for await (const event of streamReply(deps, started.turn, new AbortController().signal)) {
    events.push(event);
    if (event.type === 'text') reply += event.text;
  }
  await afterTurn(deps, started.turn, reply);
  return { turn: started.turn, events, reply };
}

/** One conversation's turns in order, read as the test's superuser handle but filtered to its owner. */
export function turnsOf(db: Database, userId: string, conversationId: string) {
  return db
    .select()
    .from(conversationTurns)
    .where(and(eq(conversationTurns.conversationId, conversationId), eq(conversationTurns.userId, userId)))
    .orderBy(conversationTurns.id);
}
