/**
 * The Anthropic and OpenAI-compatible providers, through the real SDKs, against the fake vendor
 * server: what they send (model, system prompt, forced tool with the zod schema as JSON Schema)
 * and how they read streams, tool calls, repaired answers and errors.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { anthropicChat, anthropicClient, anthropicExtract } from '@/lib/ai/anthropic';
import { openAiChat, openAiClient, openAiEmbedder, openAiExtract } from '@/lib/ai/openai-compatible';
import { DEFAULT_ANTHROPIC_CHAT_MODEL, DEFAULT_ANTHROPIC_EXTRACTION_MODEL } from '@/lib/ai/providers';
import { ExtractionError, type ChatEvent, type ChatFn, type ExtractFn } from '@/lib/ai/types';
import { startFakeVendorServer, type FakeVendorServer } from '@/tests/fakes/vendor-server';
import { factRequest } from '@/tests/helpers/models';

let fake: FakeVendorServer;
beforeAll(async () => {
  fake = await startFakeVendorServer();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const clientOptions = { timeoutMs: 5_000, maxRetries: 0 };

async function collect(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const all: ChatEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}


const berlin = { fact_type: 'personal_context', fact_text: 'Lives in Berlin', confidence: 0.95, supersedes: [] };

const vendors: { name: string; api: 'anthropic' | 'openai-chat'; make: () => { chat: ChatFn; extract: ExtractFn } }[] = [
  {
    name: 'Anthropic',
    api: 'anthropic',
    make: () => {
      const client = anthropicClient({ apiKey: 'sk-ant-test', baseURL: fake.anthropicBaseUrl, ...clientOptions });
      return { chat: anthropicChat(client, 'claude-sonnet-4-6'), extract: anthropicExtract(client, 'claude-haiku-4-5') };
    },
  },
  {
    name: 'OpenAI-compatible',
    api: 'openai-chat',
    make: () => {
      const client = openAiClient({ baseURL: fake.openaiBaseUrl, ...clientOptions });
      return { chat: openAiChat(client, 'llama3.1'), extract: openAiExtract(client, 'llama3.1') };
    },
  },
];

describe.each(vendors)('$name provider', ({ api, make }) => {
  it('streams the reply as text events, then done', async () => {
    fake.script({ text: 'Hello Ada, noted.' });
    const events = await collect(
      make().chat({ system: 'MEMORY BLOCK', messages: [{ role: 'user', content: 'Hi, I am Ada' }] }),
    );
    expect(events).toEqual([
      { type: 'text', text: 'Hello' },
      { type: 'text', text: ' Ada,' },
      { type: 'text', text: ' noted.' },
      // The tokens the vendor counted, for the turn's log line.
      { type: 'done', stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 3 } },
    ]);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ api, stream: true });
    expect(JSON.stringify(fake.requests[0]!.body)).toContain('MEMORY BLOCK');
  });

  it('yields a tool call whole, with its parsed input', async () => {
    fake.script({ toolCalls: [{ name: 'remember', input: { text: 'Likes tea' } }] });
    const events = await collect(
      make().chat({
        system: '',
        messages: [{ role: 'user', content: 'Remember I like tea' }],
        tools: [{ name: 'remember', description: 'Remember', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }],
      }),
    );
    expect(events).toMatchObject([
      { type: 'tool_call', name: 'remember', input: { text: 'Likes tea' } },
      { type: 'done', stopReason: 'tool_use' },
    ]);
  });

  it('fails the stream when the vendor fails midway, after the text it sent', async () => {
    fake.script({ text: 'one two three', failAfterChunks: 1 });
    const seen: ChatEvent[] = [];
    const run = async () => {
      for await (const event of make().chat({ system: '', messages: [{ role: 'user', content: 'hi' }] })) seen.push(event);
    };
    await expect(run()).rejects.toThrow(/Overloaded/);
    expect(seen).toEqual([{ type: 'text', text: 'one' }]);
  });

  it('extracts with a forced tool whose schema is generated from the zod schema', async () => {
    fake.script({ toolCalls: [{ name: 'record_facts', input: { facts: [berlin] } }] });
    const result = await make().extract(factRequest);
    expect(result.facts).toEqual([berlin]);

    const body = fake.requests[0]!.body;
    const tool = JSON.stringify(body.tools);
    expect(tool).toContain('"fact_type"');
    expect(tool).toContain('"personal_context"');
    expect(JSON.stringify(body.tool_choice)).toContain('record_facts');
  });

  it('repairs a JSON answer given as fenced text instead of a tool call', async () => {
    fake.script({ text: 'Here:\n```json\n' + JSON.stringify({ facts: [berlin] }) + '\n```' });
    expect((await make().extract(factRequest)).facts).toEqual([berlin]);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries an invalid answer once, then raises an ExtractionError', async () => {
    const invalid = { toolCalls: [{ name: 'record_facts', input: { facts: [{ fact_type: 'mood', fact_text: 'x' }] } }] };
    fake.script(invalid, { toolCalls: [{ name: 'record_facts', input: { facts: [berlin] } }] });
    expect((await make().extract(factRequest)).facts).toEqual([berlin]);
    expect(fake.requests).toHaveLength(2);

    fake.reset();
    fake.script(invalid, invalid);
    await expect(make().extract(factRequest)).rejects.toBeInstanceOf(ExtractionError);
    expect(fake.requests).toHaveLength(2);
  });

  it('surfaces a vendor error as the SDK error, not as an invalid answer', async () => {
    fake.script({ status: 500, errorMessage: 'internal' });
    await expect(make().extract(factRequest)).rejects.toMatchObject({ status: 500 });
  });
});

describe('Anthropic default models', () => {
  it('are not among the models the SDK warns are deprecated', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const client = anthropicClient({ apiKey: 'sk-ant-test', baseURL: fake.anthropicBaseUrl, ...clientOptions });
      fake.script({ text: 'Hi.' }, { text: 'Hi.' });
      await collect(anthropicChat(client, 'claude-sonnet-4-5')({ system: '', messages: [{ role: 'user', content: 'Hi' }] }));
      // The SDK's warning, as it is given for a deprecated model: what the check below would see.
      expect(warn).toHaveBeenCalledExactlyOnceWith(expect.stringContaining("'claude-sonnet-4-5' is deprecated"));
      warn.mockClear();

      await collect(
        anthropicChat(client, DEFAULT_ANTHROPIC_CHAT_MODEL)({ system: '', messages: [{ role: 'user', content: 'Hi' }] }),
      );
      await anthropicExtract(client, DEFAULT_ANTHROPIC_EXTRACTION_MODEL)(factRequest);
      expect(fake.requests.map((r) => r.body.model)).toEqual([
        'claude-sonnet-4-5',
        DEFAULT_ANTHROPIC_CHAT_MODEL,
        DEFAULT_ANTHROPIC_EXTRACTION_MODEL,
      ]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});

describe('Anthropic chat after tool rounds', () => {
  const remember = { name: 'remember', description: 'Remember', inputSchema: { type: 'object', properties: {} } };
  const afterToolRound = [
    { role: 'user' as const, content: 'Remember I like tea' },
    { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id: 'toolu_1', name: 'remember', input: {} }] },
    { role: 'user' as const, content: [{ type: 'tool_result' as const, toolUseId: 'toolu_1', content: 'Remembered.' }] },
  ];
  const chat = () =>
    anthropicChat(anthropicClient({ apiKey: 'sk-ant-test', baseURL: fake.anthropicBaseUrl, ...clientOptions }), 'claude-sonnet-4-6');

  it('declares the tools the messages used, forbidden, on a round that offers none', async () => {
    fake.script({ text: 'Noted.' });
    await collect(chat()({ system: '', messages: afterToolRound }));
    expect(fake.requests[0]!.body).toMatchObject({
      tools: [{ name: 'remember', input_schema: { type: 'object' } }],
      tool_choice: { type: 'none' },
    });
  });

  it('sends the offered tools as they are, and no tools at all when none were used or offered', async () => {
    fake.script({ text: 'Noted.' }, { text: 'Hi.' });
    await collect(chat()({ system: '', messages: afterToolRound, tools: [remember] }));
    await collect(chat()({ system: '', messages: [{ role: 'user', content: 'Hi' }] }));
    expect(fake.requests[0]!.body).toMatchObject({ tools: [{ name: 'remember', description: 'Remember' }] });
    expect(fake.requests[0]!.body).not.toHaveProperty('tool_choice');
    expect(fake.requests[1]!.body).not.toHaveProperty('tools');
  });
});

describe('OpenAI-compatible embedder', () => {
  it('embeds in order, in batches, asking for the configured width', async () => {
    const client = openAiClient({ apiKey: 'sk-test', baseURL: fake.openaiBaseUrl, ...clientOptions });
    const embedder = openAiEmbedder(client, { model: 'text-embedding-3-small', dimensions: 256, requestDimensions: true });
    const texts = Array.from({ length: 300 }, (_, i) => `text number ${i}`);
    const vectors = await embedder.embed(texts);

    expect(vectors).toHaveLength(300);
    expect(vectors.every((v) => v.length === 256)).toBe(true);
    expect(fake.requests.map((r) => (r.body.input as string[]).length)).toEqual([256, 44]);
    expect(fake.requests[0]!.body).toMatchObject({ model: 'text-embedding-3-small', dimensions: 256 });
    // The same text gets the same vector wherever it sits in the batch.
    const [again] = await embedder.embed(['text number 299']);
    expect(again).toEqual(vectors[299]);
    // Vectors of another width are another model: never compared with these.
    expect(embedder.model).toBe('text-embedding-3-small@256');
  });
});
