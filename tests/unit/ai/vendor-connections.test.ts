/**
 * The vendor SDKs keep their connections across a reading pause (lib/ai/vendor-fetch.ts): after a
 * pause longer than Node's fetch keeps an idle connection (4 s when the server names no time, as
 * a vendor's edge does), the next chat and embedding calls go out on the connections already open,
 * where a client on Node's own fetch opens new ones, each a TCP and TLS handshake to a real vendor.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { anthropicChat, anthropicClient } from '@/lib/ai/anthropic';
import { openAiClient, openAiEmbedder } from '@/lib/ai/openai-compatible';
import type { ChatFn } from '@/lib/ai/types';
import { startFakeVendorServer, type FakeVendorServer } from '@/tests/fakes/vendor-server';

/** Past undici's default keep-alive of 4 s. */
const READING_PAUSE_MS = 4_500;
const options = { apiKey: 'sk-ant-test', timeoutMs: 5_000, maxRetries: 0 };

let ours: FakeVendorServer;
let nodes: FakeVendorServer;
beforeAll(async () => {
  const vendor = () => startFakeVendorServer({ keepAliveTimeoutMs: 0, embeddingDimensions: 8 });
  [ours, nodes] = await Promise.all([vendor(), vendor()]);
});
afterAll(() => Promise.all([ours.close(), nodes.close()]));

async function answer(chat: ChatFn) {
  let text = '';
  for await (const event of chat({ system: 'S', messages: [{ role: 'user', content: 'Hi' }] })) if (event.type === 'text') text += event.text;
  return text;
}

it('a turn after a pause reuses the connections of the turn before', async () => {
  const chat = anthropicChat(anthropicClient({ ...options, baseURL: ours.anthropicBaseUrl }), 'claude-sonnet-4-6');
  const embedder = openAiEmbedder(openAiClient({ ...options, baseURL: ours.openaiBaseUrl }), { model: 'text-embedding-3-small', dimensions: 8, requestDimensions: false });
  // The same calls on Node's own fetch, against a server that keeps connections just as long.
  const plainChat = anthropicChat(new Anthropic({ apiKey: options.apiKey, baseURL: nodes.anthropicBaseUrl, maxRetries: 0 }), 'claude-sonnet-4-6');

  const turn = () => Promise.all([embedder.embed(['what should I cook tonight?']), answer(chat), answer(plainChat)]);
  const [vectors, text] = await turn();
  expect(vectors[0]).toHaveLength(8);
  expect(text).not.toBe('');
  const [opened, openedByNode] = [ours.connections(), nodes.connections()];
  expect(opened).toBeGreaterThan(0);

  await new Promise((resolve) => setTimeout(resolve, READING_PAUSE_MS));
  await turn();
  expect(ours.connections()).toBe(opened);
  expect(nodes.connections()).toBeGreaterThan(openedByNode);
}, 20_000);
