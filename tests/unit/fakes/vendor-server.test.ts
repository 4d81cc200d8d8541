/**
 * The fake vendor server, driven by the real SDKs: if these pass, a provider that works against
 * the fake speaks the vendors' wire formats (streaming and tool use included).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeVendorControl } from '@/tests/fakes/control';
import { DEFAULT_CHAT_REPLY, startFakeVendorServer, type FakeVendorServer } from '@/tests/fakes/vendor-server';

let fake: FakeVendorServer;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  fake = await startFakeVendorServer({ embeddingDimensions: 8 });
  anthropic = new Anthropic({ apiKey: 'test-anthropic-key', baseURL: fake.anthropicBaseUrl, maxRetries: 0 });
  openai = new OpenAI({ apiKey: 'test-openai-key', baseURL: fake.openaiBaseUrl, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const recordFacts = {
  name: 'record_facts',
  description: 'Record facts',
  input_schema: {
    type: 'object' as const,
    properties: { facts: { type: 'array', items: { type: 'string' } }, note: { type: 'string' } },
    required: ['facts'],
  },
};

describe('Anthropic Messages API', () => {
  it('streams scripted text as server-sent events, token by token', async () => {
    fake.script({ text: 'Hello there, Ada.' });
    const stream = anthropic.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      system: 'You are helpful.',
      messages: [{ role: 'user', content: 'Hi, I am Ada' }],
    });
    const deltas: string[] = [];
    stream.on('text', (text) => deltas.push(text));
    const message = await stream.finalMessage();

    expect(deltas).toEqual(['Hello', ' there,', ' Ada.']);
    expect(message.content).toMatchObject([{ type: 'text', text: 'Hello there, Ada.' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(fake.requests).toMatchObject([
      { api: 'anthropic', stream: true, apiKey: 'test-anthropic-key', body: { system: 'You are helpful.' } },
    ]);
  });

  it('streams a tool call whose input arrives as partial JSON', async () => {
    fake.script({ toolCalls: [{ name: 'record_facts', input: { facts: ['Lives in Berlin', 'Likes tea'] } }] });
    const message = await anthropic.messages
      .stream({
        model: 'claude-haiku-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'I live in Berlin' }],
        tools: [recordFacts],
      })
      .finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toMatchObject([
      { type: 'tool_use', name: 'record_facts', input: { facts: ['Lives in Berlin', 'Likes tea'] } },
    ]);
  });

  it('answers a forced tool call with the smallest valid input when nothing is scripted', async () => {
    const message = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Nothing to note' }],
      tools: [recordFacts],
      tool_choice: { type: 'tool', name: 'record_facts' },
    });
    expect(message.content).toMatchObject([{ type: 'tool_use', name: 'record_facts', input: { facts: [] } }]);
  });

  it('matches scripted replies by forced tool and message, leaving others queued', async () => {
    fake.script(
      { match: { forcedTool: 'record_facts' }, toolCalls: [{ name: 'record_facts', input: { facts: ['x'] } }] },
      { match: { lastUserMessageIncludes: 'weather' }, text: 'Sunny.' },
    );
    const chat = await anthropic.messages.create({
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'How is the weather?' }],
    });
    const unmatched = await anthropic.messages.create({
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'Something else' }],
    });
    expect(chat.content).toMatchObject([{ type: 'text', text: 'Sunny.' }]);
    expect(unmatched.content).toMatchObject([{ type: 'text', text: DEFAULT_CHAT_REPLY }]);
    const extraction = await anthropic.messages.create({
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'I like tea' }],
      tools: [recordFacts],
      tool_choice: { type: 'tool', name: 'record_facts' },
    });
    expect(extraction.content).toMatchObject([{ type: 'tool_use', input: { facts: ['x'] } }]);
  });

  it('answers a scripted HTTP error as the SDK expects', async () => {
    fake.script({ status: 529, errorMessage: 'Overloaded' });
    const call = anthropic.messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    await expect(call).rejects.toBeInstanceOf(Anthropic.APIError);
    await expect(call).rejects.toMatchObject({ status: 529 });
  });

  it('fails a stream midway with an error event', async () => {
    fake.script({ text: 'one two three four', failAfterChunks: 2 });
    const stream = anthropic.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const deltas: string[] = [];
    stream.on('text', (text) => deltas.push(text));
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded/);
    expect(deltas).toEqual(['one', ' two']);
  });

  it('waits the configured delay before the first byte', async () => {
    fake.setDelay(120);
    const started = performance.now();
    await anthropic.messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    fake.setDelay(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });
});

describe('OpenAI chat completions', () => {
  it('streams text chunks and then a tool call', async () => {
    fake.script({ text: 'Noted it.', toolCalls: [{ name: 'remember', input: { text: 'Likes tea' } }] });
    const stream = await openai.chat.completions.create({
      model: 'llama3',
      stream: true,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Remember that I like tea' },
      ],
      tools: [{ type: 'function', function: { name: 'remember', parameters: { type: 'object', properties: {} } } }],
    });
    let text = '';
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0]!;
      text += choice.delta.content ?? '';
      args += choice.delta.tool_calls?.[0]?.function?.arguments ?? '';
      finish = choice.finish_reason ?? finish;
    }
    expect(text).toBe('Noted it.');
    expect(JSON.parse(args)).toEqual({ text: 'Likes tea' });
    expect(finish).toBe('tool_calls');
    expect(fake.requests[0]).toMatchObject({ api: 'openai-chat', stream: true, apiKey: 'test-openai-key' });
  });

  it('answers a forced function call without streaming', async () => {
    const completion = await openai.chat.completions.create({
      model: 'llama3',
      messages: [{ role: 'user', content: 'I like tea' }],
      tools: [{ type: 'function', function: { name: 'record_facts', parameters: recordFacts.input_schema } }],
      tool_choice: { type: 'function', function: { name: 'record_facts' } },
    });
    const call = completion.choices[0]!.message.tool_calls?.[0];
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ facts: [] });
  });
});

describe('OpenAI embeddings', () => {
  it('answers in the SDK default base64 encoding, one unit vector per input, in order', async () => {
    const response = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['tea', 'green tea', 'tax'] });
    const [tea, greenTea, tax] = response.data.map((d) => d.embedding);
    const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
    expect(tea).toHaveLength(8);
    expect(cosine(tea!, tea!)).toBeCloseTo(1, 5);
    expect(cosine(tea!, greenTea!)).toBeGreaterThan(cosine(tea!, tax!));
    expect(fake.requests[0]!.body).toMatchObject({ encoding_format: 'base64' });
  });

  it('returns scripted vectors as floats when asked', async () => {
    fake.script({ vectors: { tea: [1, 0, 0] } });
    const response = await openai.embeddings.create({ model: 'm', input: 'tea', encoding_format: 'float' });
    expect(response.data[0]!.embedding).toEqual([1, 0, 0]);
  });
});

describe('control over HTTP', () => {
  it('scripts, logs and resets from another process', async () => {
    const control = fakeVendorControl(fake.url);
    await control.script({ text: 'From the control API.' });
    const message = await anthropic.messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content).toMatchObject([{ type: 'text', text: 'From the control API.' }]);
    expect(await control.requests()).toMatchObject([{ api: 'anthropic', body: { messages: [{ content: 'hi' }] } }]);
    await control.reset();
    expect(await control.requests()).toEqual([]);
  });
});
