/** Claude through the Anthropic SDK: streaming chat with tool use, and extraction by a forced tool call. */
import Anthropic from '@anthropic-ai/sdk';
import { toolInputSchema } from './json-schema';
import { alternatingTurns } from './messages';
import { boundedChat, fetchCappingRetryAfter, type ChatLimits } from './stream-limits';
import { extractValidated } from './structured-output';
import { blocksOf, type ChatEvent, type ChatFn, type ChatMessage, type ChatRequest, type ExtractFn } from './types';

export interface AnthropicOptions {
  apiKey: string;
  baseURL?: string;
  timeoutMs: number;
  maxRetries: number;
  /** The cap on the SDK's retry-after waits (extraction); defaults to MAX_RETRY_WAIT_MS. */
  maxRetryWaitMs?: number;
}

export function anthropicClient(options: AnthropicOptions): Anthropic {
  return new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    fetch: fetchCappingRetryAfter(options.maxRetryWaitMs),
  });
}

const STOP_REASONS: Record<string, Extract<ChatEvent, { type: 'done' }>['stopReason']> = {
  end_turn: 'end_turn',
  stop_sequence: 'end_turn',
  tool_use: 'tool_use',
  max_tokens: 'max_tokens',
};

function toAnthropicMessage(message: ChatMessage): Anthropic.MessageParam {
  if (typeof message.content === 'string') return { role: message.role, content: message.content };
  return {
    role: message.role,
    content: message.content.map((block): Anthropic.ContentBlockParam => {
      switch (block.type) {
        case 'text':
          return { type: 'text', text: block.text };
        case 'tool_use':
          return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
        case 'tool_result':
          return { type: 'tool_result', tool_use_id: block.toolUseId, content: block.content };
      }
    }),
  };
}

/**
 * The tools a request declares. The API refuses tool calls and results in the messages without
 * tools declared, so a round that offers none after earlier tool rounds declares the ones used,
 * and forbids calling them.
 */
function toolsOf(request: ChatRequest): Pick<Anthropic.MessageCreateParams, 'tools' | 'tool_choice'> {
  if (request.tools) {
    return {
      tools: request.tools.map((t) => ({
        name: t.name,
        description: t.description,
        input_schema: { type: 'object', ...t.inputSchema },
      })),
    };
  }
  const used = new Set(request.messages.flatMap(blocksOf).flatMap((b) => (b.type === 'tool_use' ? [b.name] : [])));
  if (!used.size) return {};
  return {
    tools: [...used].map((name) => ({ name, input_schema: { type: 'object' as const } })),
    tool_choice: { type: 'none' },
  };
}

/**
 * Streaming chat, bounded by lib/ai/stream-limits: the time-out and retry count default to the
 * client's (MODEL_TIMEOUT_MS, MODEL_MAX_RETRIES), but the retries are ours, so the SDK makes none.
 */
export function anthropicChat(client: Anthropic, model: string, limits: Partial<ChatLimits> = {}): ChatFn {
  return boundedChat(
    async function* attempt(request, guard) {
      const stream = client.messages.stream(
        {
          model,
          max_tokens: request.maxTokens ?? 2048,
          system: request.system,
          messages: alternatingTurns(request.messages).map(toAnthropicMessage),
          ...toolsOf(request),
        },
        { signal: guard.signal, maxRetries: 0 },
      );
      for await (const event of guard.events(stream)) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          yield { type: 'text', text: event.delta.text };
        }
      }
      // Tool calls are yielded whole, once their streamed JSON input is complete.
      const message = await guard.within(stream.finalMessage());
      for (const block of message.content) {
        if (block.type === 'tool_use') yield { type: 'tool_call', id: block.id, name: block.name, input: block.input };
      }
      const usage = { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens };
      yield { type: 'done', stopReason: STOP_REASONS[message.stop_reason ?? ''] ?? 'other', usage };
    },
    { timeoutMs: client.timeout, maxRetries: client.maxRetries, ...limits },
  );
}

export function anthropicExtract(client: Anthropic, model: string): ExtractFn {
  return (request) =>
    extractValidated(request, async () => {
      const message = await client.messages.create(
        {
          model,
          max_tokens: 2048,
          system: request.system,
          messages: [{ role: 'user', content: request.prompt }],
          tools: [
            {
              name: request.name,
              description: request.description,
              input_schema: { type: 'object', ...toolInputSchema(request.schema) },
            },
          ],
          tool_choice: { type: 'tool', name: request.name },
        },
        { signal: request.signal },
      );
      const call = message.content.find((b) => b.type === 'tool_use' && b.name === request.name);
      if (call?.type === 'tool_use') return call.input;
      // No tool call: the JSON may still be in the text.
      return message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    });
}
