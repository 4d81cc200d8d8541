/**
 * Any server that speaks OpenAI's API (OpenAI itself, Ollama, vLLM, LM Studio, a model in your
 * own VPC): streaming chat with tool use, extraction by a forced function call, and embeddings.
 */
import OpenAI from 'openai';
import { toolInputSchema } from './json-schema';
import { boundedChat, fetchCappingRetryAfter, type ChatLimits } from './stream-limits';
import { extractValidated } from './structured-output';
import type { ChatEvent, ChatFn, ChatMessage, Embedder, ExtractFn, TokenUsage } from './types';

export interface OpenAiOptions {
  /** Local servers usually ignore the key, but the SDK requires one. */
  apiKey?: string;
  baseURL?: string;
  timeoutMs: number;
  maxRetries: number;
  /** The cap on the SDK's retry-after waits (extraction, embeddings); defaults to MAX_RETRY_WAIT_MS. */
  maxRetryWaitMs?: number;
}

export function openAiClient(options: OpenAiOptions): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey ?? 'not-needed',
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    fetch: fetchCappingRetryAfter(options.maxRetryWaitMs),
  });
}

const STOP_REASONS: Record<string, Extract<ChatEvent, { type: 'done' }>['stopReason']> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  length: 'max_tokens',
};

/** A tool call's arguments; a model that wrote invalid JSON gets its raw text back to see. */
function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text || '{}');
  } catch {
    return text;
  }
}

/** One message in OpenAI's shape: tool calls ride on the assistant message, results are `tool` messages. */
function toOpenAiMessages(message: ChatMessage): OpenAI.ChatCompletionMessageParam[] {
  if (typeof message.content === 'string') return [{ role: message.role, content: message.content }];
  const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
  if (message.role === 'assistant') {
    const calls = message.content.flatMap((b) =>
      b.type === 'tool_use' ? [{ id: b.id, type: 'function' as const, function: { name: b.name, arguments: JSON.stringify(b.input) } }] : [],
    );
    return [{ role: 'assistant', content: text || null, ...(calls.length ? { tool_calls: calls } : {}) }];
  }
  const results = message.content.flatMap((b) =>
    b.type === 'tool_result' ? [{ role: 'tool' as const, tool_call_id: b.toolUseId, content: b.content }] : [],
  );
  return [...results, ...(text ? [{ role: 'user' as const, content: text }] : [])];
}

/**
 * Streaming chat, bounded by lib/ai/stream-limits: the time-out and retry count default to the
 * client's (MODEL_TIMEOUT_MS, MODEL_MAX_RETRIES), but the retries are ours, so the SDK makes none.
 */
export function openAiChat(client: OpenAI, model: string, limits: Partial<ChatLimits> = {}): ChatFn {
  return boundedChat(
    async function* attempt(request, guard) {
      const stream = await guard.within(
        client.chat.completions.create(
          {
            model,
            stream: true,
            // The last chunk then carries the token counts, for the turn's log line.
            stream_options: { include_usage: true },
            max_tokens: request.maxTokens ?? 2048,
            messages: [{ role: 'system', content: request.system }, ...request.messages.flatMap(toOpenAiMessages)],
            tools: request.tools?.map((t) => ({
              type: 'function' as const,
              function: { name: t.name, description: t.description, parameters: t.inputSchema },
            })),
          },
          { signal: guard.signal, maxRetries: 0 },
        ),
      );
      // Tool calls arrive in pieces keyed by index; they are yielded whole at the end.
      const calls = new Map<number, { id: string; name: string; args: string }>();
      let finish: string | null = null;
      let usage: TokenUsage | undefined;
      for await (const chunk of guard.events(stream)) {
        if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
        const choice = chunk.choices[0];
        if (!choice) continue;
        if (choice.delta.content) yield { type: 'text', text: choice.delta.content };
        for (const part of choice.delta.tool_calls ?? []) {
          const call = calls.get(part.index) ?? { id: '', name: '', args: '' };
          call.id = part.id ?? call.id;
          call.name = part.function?.name ?? call.name;
          call.args += part.function?.arguments ?? '';
          calls.set(part.index, call);
        }
        finish = choice.finish_reason ?? finish;
      }
      for (const call of calls.values()) {
        yield { type: 'tool_call', id: call.id, name: call.name, input: parseArguments(call.args) };
      }
      yield { type: 'done', stopReason: STOP_REASONS[finish ?? ''] ?? 'other', usage };
    },
    { timeoutMs: client.timeout, maxRetries: client.maxRetries, ...limits },
  );
}

export function openAiExtract(client: OpenAI, model: string): ExtractFn {
  return (request) =>
    extractValidated(request, async () => {
      const completion = await client.chat.completions.create(
        {
          model,
          max_tokens: 2048,
          messages: [
            { role: 'system', content: request.system },
            { role: 'user', content: request.prompt },
          ],
          tools: [
            {
              type: 'function',
              function: {
                name: request.name,
                description: request.description,
                parameters: toolInputSchema(request.schema),
              },
            },
          ],
          tool_choice: { type: 'function', function: { name: request.name } },
        },
        { signal: request.signal },
      );
      const message = completion.choices[0]?.message;
      const call = message?.tool_calls?.find((c) => c.type === 'function' && c.function.name === request.name);
      // Servers without tool support answer in text; the JSON may still be in it.
      if (call?.type === 'function') return parseArguments(call.function.arguments);
      return message?.content ?? '';
    });
}

/** Inputs per embeddings request; OpenAI accepts up to 2048. */
const EMBED_BATCH = 256;

/**
 * Similarity floors for OpenAI's text-embedding-3 models. Not measured here (no keys on these
 * machines): published measurements put a question against the text that answers it near 0.44
 * cosine, related words near 0.45, unrelated text at 0.1-0.2, so 0.25 keeps the related and
 * drops most of the unrelated. A small memory is given whole whatever the floor.
 */
const TEXT_EMBEDDING_3_CALIBRATION = { minSimilarity: 0.25, duplicateCosine: 0.92 };

export function openAiEmbedder(
  client: OpenAI,
  options: { model: string; dimensions: number; requestDimensions: boolean },
): Embedder {
  return {
    model: options.requestDimensions ? `${options.model}@${options.dimensions}` : options.model,
    dimensions: options.dimensions,
    calibration: /^text-embedding-3-/.test(options.model) ? TEXT_EMBEDDING_3_CALIBRATION : undefined,
    async embed(texts, signal) {
      const vectors: number[][] = [];
      for (let at = 0; at < texts.length; at += EMBED_BATCH) {
        const response = await client.embeddings.create(
          {
            model: options.model,
            input: texts.slice(at, at + EMBED_BATCH),
            // Only models that support shortening accept the parameter (text-embedding-3-*).
            ...(options.requestDimensions ? { dimensions: options.dimensions } : {}),
          },
          { signal },
        );
        const ordered = [...response.data].sort((a, b) => a.index - b.index);
        vectors.push(...ordered.map((d) => d.embedding));
      }
      return vectors;
    },
  };
}
