/**
 * Vendor faults are bounded: the real Anthropic and OpenAI SDKs against the fake vendor, which
 * stalls mid-stream, cuts the connection, or refuses with a status and a retry-after. A silent
 * stream ends after MODEL_TIMEOUT_MS, a failure before any text is retried after a `retrying`
 * event (retry-after capped), a failure after text is not, and each is described as what it was.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { anthropicChat, anthropicClient, anthropicExtract } from '@/lib/ai/anthropic';
import { describeModelError, ModelStalledError } from '@/lib/ai/errors';
import { openAiChat, openAiClient, openAiEmbedder, openAiExtract } from '@/lib/ai/openai-compatible';
import { retryAfterMs, type ChatLimits } from '@/lib/ai/stream-limits';
import type { ChatEvent, ChatFn, ExtractFn } from '@/lib/ai/types';
import { startFakeVendorServer, type FakeVendorServer } from '@/tests/fakes/vendor-server';
import { factRequest } from '@/tests/helpers/models';

let fake: FakeVendorServer;
beforeAll(async () => {
  fake = await startFakeVendorServer();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

/** The events a chat yielded, and what it threw (if it did), and how long it took. */
async function run(events: AsyncIterable<ChatEvent>, onEvent?: (event: ChatEvent) => void) {
  const seen: ChatEvent[] = [];
  const started = performance.now();
  let error: unknown;
  try {
    for await (const event of events) {
      seen.push(event);
      onEvent?.(event);
    }
  } catch (caught) {
    error = caught;
  }
  return { seen, error, ms: performance.now() - started };
}

const hi = (signal?: AbortSignal) => ({ system: '', messages: [{ role: 'user' as const, content: 'hi' }], signal });
const text = (t: string): ChatEvent => ({ type: 'text', text: t });
/** The end of a reply; the token counts are the fake vendor's own. */
const done: ChatEvent = { type: 'done', stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: expect.any(Number) as number } };


interface Vendor {
  name: string;
  chat: (limits: ChatLimits) => ChatFn;
  /** The SDK's own retries, for extraction: `maxRetries`, with retry-after capped at `maxRetryWaitMs`. */
  extract: (maxRetries: number, maxRetryWaitMs: number) => ExtractFn;
  /** What an error event in a 200 stream is described as: the fake's Anthropic one says overloaded_error. */
  streamErrorReason: string;
  streamErrorText: string;
}

const vendors: Vendor[] = [
  {
    name: 'Anthropic',
    chat: (limits) =>
      anthropicChat(anthropicClient({ apiKey: 'sk-ant-test', baseURL: fake.anthropicBaseUrl, ...limits }), 'claude-sonnet-4-6', limits),
    extract: (maxRetries, maxRetryWaitMs) =>
      anthropicExtract(
        anthropicClient({ apiKey: 'sk-ant-test', baseURL: fake.anthropicBaseUrl, timeoutMs: 5_000, maxRetries, maxRetryWaitMs }),
        'claude-haiku-4-5',
      ),
    streamErrorReason: 'the model provider is overloaded',
    streamErrorText: 'The model provider is overloaded. Try again in a moment.',
  },
  {
    name: 'OpenAI-compatible',
    chat: (limits) => openAiChat(openAiClient({ baseURL: fake.openaiBaseUrl, ...limits }), 'llama3.1', limits),
    extract: (maxRetries, maxRetryWaitMs) =>
      openAiExtract(openAiClient({ baseURL: fake.openaiBaseUrl, timeoutMs: 5_000, maxRetries, maxRetryWaitMs }), 'llama3.1'),
    // The fake's OpenAI error event has no type: a vendor error, not known to be overload.
    streamErrorReason: 'the model provider had an error',
    streamErrorText: 'The model provider had an error.',
  },
];

describe.each(vendors)('$name chat under vendor faults', (vendor) => {
  it('ends a stream that stalls after two chunks once MODEL_TIMEOUT_MS passes, after yielding them', async () => {
    fake.script({ text: 'one two three four', stallAfterChunks: 2 });
    const { seen, error, ms } = await run(vendor.chat({ timeoutMs: 1_000, maxRetries: 2 })(hi()));

    expect(seen).toEqual([text('one'), text(' two')]);
    expect(error).toBeInstanceOf(ModelStalledError);
    expect((error as Error).name).toBe('ModelStalledError');
    expect(ms).toBeGreaterThanOrEqual(1_000);
    expect(ms).toBeLessThan(3_000);
    // Not retried (the two words were shown), and the request was aborted: the socket closed.
    expect(fake.requests).toHaveLength(1);
    await vi.waitFor(() => expect(fake.openStalls()).toBe(0), { timeout: 1_000 });
    expect(describeModelError(error)).toBe('The model stopped responding for 1 s. Try again in a moment.');
  });

  it('counts the wait for the response itself against MODEL_TIMEOUT_MS', async () => {
    fake.script({ text: 'Too late.', delayMs: 2_500 });
    const { seen, error, ms } = await run(vendor.chat({ timeoutMs: 1_000, maxRetries: 0 })(hi()));

    expect(seen).toEqual([]);
    expect(error).toBeInstanceOf(ModelStalledError);
    expect(ms).toBeLessThan(2_000);
  });

  it('retries a stream that stalls before any text, and the second attempt answers', async () => {
    fake.script({ text: 'lost words', stallAfterChunks: 0 }, { text: 'Hello again.' });
    const { seen, error } = await run(vendor.chat({ timeoutMs: 1_000, maxRetries: 2, firstBackoffMs: 10 })(hi()));

    expect(error).toBeUndefined();
    expect(seen).toEqual([
      { type: 'retrying', inSeconds: 1, reason: 'the model stopped responding' },
      text('Hello'),
      text(' again.'),
      done,
    ]);
    expect(fake.requests).toHaveLength(2);
    expect(fake.openStalls()).toBe(0);
  });

  it('waits what retry-after asks, capped, after telling the person, then answers', async () => {
    fake.script({ status: 429, retryAfter: '25' }, { text: 'Hi.' });
    const { seen, error, ms } = await run(vendor.chat({ timeoutMs: 5_000, maxRetries: 2, maxRetryWaitMs: 1_000 })(hi()));

    expect(error).toBeUndefined();
    expect(seen).toEqual([{ type: 'retrying', inSeconds: 1, reason: 'the model provider is rate-limiting requests' }, text('Hi.'), done]);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(3_000);
    expect(fake.requests).toHaveLength(2);
  });

  it('caps a 25 s retry-after at 10 s in production, and an abort during the wait ends it at once', async () => {
    fake.script({ status: 429, retryAfter: '25' }, { text: 'Never asked for.' });
    const controller = new AbortController();
    let abortedAt = 0;
    const { seen, error } = await run(vendor.chat({ timeoutMs: 5_000, maxRetries: 2 })(hi(controller.signal)), (event) => {
      if (event.type !== 'retrying') return;
      abortedAt = performance.now();
      controller.abort();
    });

    expect(seen).toEqual([{ type: 'retrying', inSeconds: 10, reason: 'the model provider is rate-limiting requests' }]);
    expect(performance.now() - abortedAt).toBeLessThan(500);
    expect((error as Error).name).toBe('AbortError');
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a 529 before any text with backoff when no retry-after is given', async () => {
    fake.script({ status: 529 }, { text: 'Hi.' });
    const { seen, error } = await run(vendor.chat({ timeoutMs: 5_000, maxRetries: 2, firstBackoffMs: 50 })(hi()));

    expect(error).toBeUndefined();
    expect(seen).toEqual([{ type: 'retrying', inSeconds: 1, reason: 'the model provider is overloaded' }, text('Hi.'), done]);
    expect(fake.requests).toHaveLength(2);
  });

  it('retries an error event that comes before any text', async () => {
    fake.script({ text: 'lost words', failAfterChunks: 0 }, { text: 'Hi.' });
    const { seen, error } = await run(vendor.chat({ timeoutMs: 5_000, maxRetries: 2, firstBackoffMs: 10 })(hi()));

    expect(error).toBeUndefined();
    expect(seen).toEqual([{ type: 'retrying', inSeconds: 1, reason: vendor.streamErrorReason }, text('Hi.'), done]);
    expect(fake.requests).toHaveLength(2);
  });

  it('does not retry an error event after text, and says what happened', async () => {
    fake.script({ text: 'one two three', failAfterChunks: 1 }, { text: 'A second answer.' });
    const { seen, error } = await run(vendor.chat({ timeoutMs: 5_000, maxRetries: 2, firstBackoffMs: 10 })(hi()));

    expect(seen).toEqual([text('one')]);
    expect(fake.requests).toHaveLength(1);
    expect(describeModelError(error)).toBe(vendor.streamErrorText);
    expect(describeModelError(error)).not.toContain('Overloaded');
  });

  it('does not retry a connection lost after text, and says the connection was lost', async () => {
    fake.script({ text: 'one two three', dropAfterChunks: 2 }, { text: 'A second answer.' });
    const { seen, error } = await run(vendor.chat({ timeoutMs: 5_000, maxRetries: 2, firstBackoffMs: 10 })(hi()));

    expect(seen).toEqual([text('one'), text(' two')]);
    expect(fake.requests).toHaveLength(1);
    expect(describeModelError(error)).toBe('The connection to the model provider was lost. Try again in a moment.');
  });

  it('gives up after MODEL_MAX_RETRIES retries with the last failure', async () => {
    fake.script({ status: 503 }, { status: 503 }, { status: 503 }, { text: 'Too late.' });
    const { seen, error } = await run(vendor.chat({ timeoutMs: 5_000, maxRetries: 2, firstBackoffMs: 10 })(hi()));

    expect(seen.map((e) => e.type)).toEqual(['retrying', 'retrying']);
    expect(error).toMatchObject({ status: 503 });
    expect(fake.requests).toHaveLength(3);
    expect(describeModelError(error)).toBe('The model provider is overloaded. Try again in a moment.');
  });

  it('does not retry a refusal that would be refused again', async () => {
    fake.script({ status: 401 }, { text: 'Never asked for.' });
    const { seen, error } = await run(vendor.chat({ timeoutMs: 5_000, maxRetries: 2, firstBackoffMs: 10 })(hi()));

    expect(seen).toEqual([]);
    expect(fake.requests).toHaveLength(1);
    expect(describeModelError(error)).toBe('The model provider refused the API key. Check the server settings.');
  });

  it("caps retry-after on the SDK's own retries, which extraction keeps", async () => {
    fake.script({ status: 429, retryAfter: '25' });
    const started = performance.now();
    const result = await vendor.extract(1, 300)(factRequest);

    expect(result).toEqual({ facts: [] });
    expect(fake.requests).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('OpenAI-compatible embedder under vendor faults', () => {
  it("caps retry-after on the SDK's own retries", async () => {
    fake.script({ match: { api: 'openai-embeddings' }, status: 529, retryAfter: '25' });
    const client = openAiClient({ baseURL: fake.openaiBaseUrl, timeoutMs: 5_000, maxRetries: 1, maxRetryWaitMs: 300 });
    const started = performance.now();
    const vectors = await openAiEmbedder(client, { model: 'text-embedding-3-small', dimensions: 8, requestDimensions: true }).embed([
      'tea',
    ]);

    expect(vectors).toHaveLength(1);
    expect(fake.requests).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('retryAfterMs', () => {
  const headers = (init: Record<string, string>) => new Headers(init);

  it('reads seconds, milliseconds and HTTP dates, and nothing from a value it cannot read', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(headers({ 'retry-after': '25' }), now)).toBe(25_000);
    expect(retryAfterMs(headers({ 'retry-after': '1.5' }), now)).toBe(1_500);
    expect(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '25' }), now)).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }), now)).toBe(7_000);
    expect(retryAfterMs(headers({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }), now)).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after': '0' }), now)).toBeUndefined();
    expect(retryAfterMs(headers({}), now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
