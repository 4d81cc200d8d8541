/**
 * The three small interfaces every model provider implements. lib/memory and the chat route
 * depend on these, never on a vendor SDK, so vendors (and the offline fallback) are swappable.
 */
import type { z } from 'zod';

/** A part of a message: text, a tool call the model made, or the result sent back for it. */
export type ChatBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; toolUseId: string; content: string };

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string | ChatBlock[];
}

/** A message's content as blocks. */
export function blocksOf(message: ChatMessage): ChatBlock[] {
  return typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
}

/** A tool the chat model may call; `inputSchema` is a JSON Schema object. */
export interface ChatTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export type ChatEvent =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; id: string; name: string; input: unknown }
  /** `usage`: the tokens the vendor counted, when it says (the offline writer has none). */
  | { type: 'done'; stopReason: 'end_turn' | 'tool_use' | 'max_tokens' | 'other'; usage?: TokenUsage }
  /**
   * The vendor failed before any text and the request is sent again in `inSeconds`; `reason` is
   * a short phrase for the person ("the model provider is overloaded"). Only before any other event.
   */
  | { type: 'retrying'; inSeconds: number; reason: string };

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** A remembered fact as the chat model sees it. */
export interface MemoryNote {
  factType: string;
  factText: string;
}

export interface ChatRequest {
  system: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  maxTokens?: number;
  signal?: AbortSignal;
  /**
   * The memories already written into `system`, as data, for a provider that does not read
   * prose (the offline reply writer shows them); models ignore it.
   */
  memories?: MemoryNote[];
}

/**
 * Streams one model reply: text deltas as they arrive, tool calls once complete, then done; a
 * `retrying` event for each retry, all before any other event.
 */
export type ChatFn = (request: ChatRequest) => AsyncIterable<ChatEvent>;

/**
 * A structured-output job, defined once: the forced tool a model fills in (name, description,
 * schema), what it is told (system, and a prompt written from the job's input), and the rule that
 * answers from the same input without a model (the offline provider's). Run with runJob.
 */
export interface StructuredJob<I, T> {
  name: string;
  description: string;
  system: string;
  schema: z.ZodType<T>;
  prompt: (input: I) => string;
  offline: (input: I) => T;
}

/** One job on one input, as a provider receives it (see runJob). */
export interface ExtractRequest<T> {
  /** Names the structured output (the forced tool's name). */
  name: string;
  description: string;
  system: string;
  prompt: string;
  schema: z.ZodType<T>;
  signal?: AbortSignal;
  /** The job's input, for a scripted stand-in that answers from data, not prose; models ignore it. */
  data?: unknown;
  /** The job's offline rule applied to its input: what the offline provider answers. */
  offline?: () => unknown;
}

/**
 * Structured output: the model's answer parsed and validated against `schema`. Throws
 * ExtractionError when the answer is still invalid after the provider's repair and one retry.
 */
export type ExtractFn = <T>(request: ExtractRequest<T>) => Promise<T>;

export interface Embedder {
  /** Stored beside every vector: vectors of two models are never compared. */
  model: string;
  /** Width of the vectors `embed` returns (at most the stored width; shorter ones are padded). */
  dimensions: number;
  /**
   * Where this embedder's cosines fall, when they differ from a sentence-embedding model's (a
   * lexical embedder scores related texts far lower); unset: the memory engine's defaults.
   */
  calibration?: { minSimilarity: number; duplicateCosine: number };
  /** One vector per text, in order; batched by the caller. */
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

export class ExtractionError extends Error {
  constructor(
    message: string,
    readonly rawOutput?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExtractionError';
  }
}
