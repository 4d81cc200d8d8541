/**
 * The model functions this deployment uses, chosen by the settings: Anthropic for chat and
 * extraction, any OpenAI-compatible server for chat, extraction or embeddings, and the offline
 * fallbacks when no key is configured.
 */
import type { Env } from '../env';
import { anthropicChat, anthropicClient, anthropicExtract } from './anthropic';
import { createOfflineEmbedder, DEFAULT_OFFLINE_EMBEDDER } from './offline/embedder';
import { offlineExtract } from './offline/extract';
import { offlineChat } from './offline/reply-writer';
import { openAiChat, openAiClient, openAiEmbedder, openAiExtract } from './openai-compatible';
import type { ChatFn, Embedder, ExtractFn } from './types';

export interface Providers {
  chat: ChatFn;
  extract: ExtractFn;
  embedder: Embedder;
  /** Replies are written by the offline reply writer, not a model: the UI says so. */
  offline: boolean;
}

/**
 * Current models that the installed SDK does not list as deprecated, and that think only when
 * asked, which this code relies on: tool rounds do not send thinking blocks back, and extraction
 * forces a tool call.
 */
export const DEFAULT_ANTHROPIC_CHAT_MODEL = 'claude-sonnet-4-6';
export const DEFAULT_ANTHROPIC_EXTRACTION_MODEL = 'claude-haiku-4-5';
const OPENAI_EMBEDDING_DIMENSIONS = 1536;

export function createProviders(settings: Env): Providers {
  const limits = { timeoutMs: settings.MODEL_TIMEOUT_MS, maxRetries: settings.MODEL_MAX_RETRIES };
  const openai = () =>
    openAiClient({ apiKey: settings.OPENAI_API_KEY, baseURL: settings.OPENAI_BASE_URL, ...limits });

  let chat: ChatFn = offlineChat;
  let extract: ExtractFn = offlineExtract;
  if (settings.chatProvider === 'anthropic') {
    const client = anthropicClient({ apiKey: settings.ANTHROPIC_API_KEY!, baseURL: settings.ANTHROPIC_BASE_URL, ...limits });
    chat = anthropicChat(client, settings.CHAT_MODEL ?? DEFAULT_ANTHROPIC_CHAT_MODEL);
    extract = anthropicExtract(client, settings.EXTRACTION_MODEL ?? DEFAULT_ANTHROPIC_EXTRACTION_MODEL);
  } else if (settings.chatProvider === 'openai') {
    const client = openai();
    chat = openAiChat(client, settings.CHAT_MODEL!);
    extract = openAiExtract(client, settings.EXTRACTION_MODEL ?? settings.CHAT_MODEL!);
  }

  const embedder =
    settings.embeddingProvider === 'openai'
      ? openAiEmbedder(openai(), {
          model: settings.EMBEDDING_MODEL,
          dimensions: settings.EMBEDDING_DIMENSIONS ?? OPENAI_EMBEDDING_DIMENSIONS,
          requestDimensions: settings.EMBEDDING_DIMENSIONS !== undefined,
        })
      : createOfflineEmbedder(DEFAULT_OFFLINE_EMBEDDER);

  return { chat, extract, embedder, offline: settings.chatProvider === 'offline' };
}
