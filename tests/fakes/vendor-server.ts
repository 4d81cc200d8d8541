/**
 * A local stand-in for the model vendors: it speaks the Anthropic Messages API (JSON and
 * server-sent events, text and tool use) and the OpenAI chat-completions (JSON and streamed) and
 * embeddings APIs, so the real SDKs can be pointed at it through their base-URL settings.
 *
 * Replies come from a script (first matching entry wins and is used once); without one, chat
 * answers with a fixed sentence, a forced tool call answers with the smallest value its JSON
 * schema accepts, and embeddings are bag-of-words vectors (texts sharing words are similar).
 * Every request is logged. Tests in another process (Playwright) drive it over `/_fake/*`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type VendorApi = 'anthropic' | 'openai-chat' | 'openai-embeddings';

export interface ScriptedReply {
  /** Which requests this reply answers; every given condition must hold. */
  match?: {
    api?: VendorApi;
    /** The tool the request forces (structured extraction), or 'none' for a free chat turn. */
    forcedTool?: string;
    /** A substring of the request's last user message. */
    lastUserMessageIncludes?: string;
  };
  text?: string;
  toolCalls?: { name: string; input: unknown }[];
  /** Answer with this HTTP error status (and `errorMessage`) instead of a reply. */
  status?: number;
  errorMessage?: string;
  /** With `status`: a `retry-after` header (seconds or an HTTP date), as a vendor's 429 or 529 carries. */
  retryAfter?: string;
  /** Streams this many text chunks, then an error event, then closes. */
  failAfterChunks?: number;
  /** Streams this many text chunks, then sends nothing more, holding the connection until the client leaves. */
  stallAfterChunks?: number;
  /** Streams this many text chunks, then cuts the connection (no error event), as a dropped socket does. */
  dropAfterChunks?: number;
  /** Waits this long before the first byte (overrides the server's `delayMs`). */
  delayMs?: number;
  /** Waits this long between streamed chunks. */
  chunkDelayMs?: number;
  /** Embeddings only: vectors by input text (others get the default). */
  vectors?: Record<string, number[]>;
}

export interface RecordedRequest {
  api: VendorApi;
  path: string;
  stream: boolean;
  /** The API key the SDK sent, to prove it comes from the settings. */
  apiKey: string | null;
  body: Record<string, unknown>;
  at: string;
}

export interface FakeVendorOptions {
  port?: number;
  /** Delay before a chat reply's first byte, like a vendor's time to first token. */
  delayMs?: number;
  /** Delay before an embeddings reply (default none). */
  embeddingDelayMs?: number;
  /** Width of the default embeddings (also set per request by `dimensions`). */
  embeddingDimensions?: number;
  /**
   * Default embeddings with every value set, as a real model's are (a benchmark's cost depends on
   * it: 1,536 values of ~20 characters each as text, where a sparse vector's zeros are 1 each).
   */
  denseEmbeddings?: boolean;
  /**
   * How long the server keeps an idle connection (Node's default: 5 s, named in each response's
   * Keep-Alive header). 0: as long as the client likes, and no Keep-Alive time named.
   */
  keepAliveTimeoutMs?: number;
}

export interface FakeVendorServer {
  url: string;
  /** Base URL for `new Anthropic({ baseURL })`. */
  anthropicBaseUrl: string;
  /** Base URL for `new OpenAI({ baseURL })`. */
  openaiBaseUrl: string;
  requests: RecordedRequest[];
  /** Stalled replies (`stallAfterChunks`) whose client has not closed the connection yet. */
  openStalls(): number;
  /** TCP connections clients have opened so far. */
  connections(): number;
  script(...replies: ScriptedReply[]): void;
  reset(): void;
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export const DEFAULT_CHAT_REPLY = 'This is the fake vendor speaking.';

export async function startFakeVendorServer(options: FakeVendorOptions = {}): Promise<FakeVendorServer> {
  const state = {
    replies: [] as ScriptedReply[],
    requests: [] as RecordedRequest[],
    delayMs: options.delayMs ?? 0,
    stalled: new Set<ServerResponse>(),
  };
  const dimensions = options.embeddingDimensions ?? 1536;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error) } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const body = req.method === 'POST' ? await readJson(req) : {};

    if (path.startsWith('/_fake/')) return control(path, body, res);
    const api = apiOf(path);
    if (!api || req.method !== 'POST') return sendJson(res, 404, { error: { message: `no route ${req.method} ${path}` } });

    const stream = body.stream === true;
    state.requests.push({ api, path, stream, apiKey: apiKeyOf(req), body, at: new Date().toISOString() });
    const reply = takeReply(api, body);
    await sleep(reply.delayMs ?? (api === 'openai-embeddings' ? (options.embeddingDelayMs ?? 0) : state.delayMs));

    if (reply.status) return sendError(res, api, reply.status, reply.errorMessage ?? 'scripted failure', reply.retryAfter);
    if (api === 'openai-embeddings') return sendJson(res, 200, embeddingsResponse(body, reply, dimensions, options.denseEmbeddings));
    const answer = completeReply(api, body, reply);
    if (api === 'anthropic') {
      return stream ? streamAnthropic(res, answer, reply, state.stalled) : sendJson(res, 200, anthropicMessage(body, answer));
    }
    return stream ? streamOpenAi(res, body, answer, reply, state.stalled) : sendJson(res, 200, openAiCompletion(body, answer));
  }

  function control(path: string, body: Record<string, unknown>, res: ServerResponse) {
    switch (path) {
      case '/_fake/script':
        state.replies.push(...((body.replies as ScriptedReply[] | undefined) ?? []));
        return sendJson(res, 200, { queued: state.replies.length });
      case '/_fake/requests':
        return sendJson(res, 200, { requests: state.requests });
      case '/_fake/reset':
        state.replies = [];
        state.requests.length = 0;
        state.delayMs = typeof body.delayMs === 'number' ? body.delayMs : (options.delayMs ?? 0);
        return sendJson(res, 200, { ok: true });
      default:
        return sendJson(res, 404, { error: { message: `no control route ${path}` } });
    }
  }

  function takeReply(api: VendorApi, body: Record<string, unknown>): ScriptedReply {
    const index = state.replies.findIndex((r) => matches(r, api, body));
    if (index === -1) return {};
    return state.replies.splice(index, 1)[0]!;
  }

  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  let connections = 0;
  server.on('connection', () => connections++);
  server.listen(options.port ?? 0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    anthropicBaseUrl: url,
    openaiBaseUrl: `${url}/v1`,
    requests: state.requests,
    openStalls: () => state.stalled.size,
    connections: () => connections,
    script: (...replies) => void state.replies.push(...replies),
    reset: () => {
      state.replies = [];
      state.requests.length = 0;
    },
    setDelay: (ms) => void (state.delayMs = ms),
    close: () => closeServer(server),
  };
}

function apiOf(path: string): VendorApi | null {
  if (path === '/v1/messages') return 'anthropic';
  if (path === '/v1/chat/completions') return 'openai-chat';
  if (path === '/v1/embeddings') return 'openai-embeddings';
  return null;
}

function apiKeyOf(req: IncomingMessage): string | null {
  const anthropicKey = req.headers['x-api-key'];
  if (typeof anthropicKey === 'string') return anthropicKey;
  return req.headers.authorization?.replace(/^Bearer /, '') ?? null;
}

/** The tool a request forces, in either vendor's dialect. */
export function forcedToolOf(body: Record<string, unknown>): string | null {
  const choice = body.tool_choice as { type?: string; name?: string; function?: { name?: string } } | undefined;
  if (choice?.type === 'tool') return choice.name ?? null;
  if (choice?.type === 'function') return choice.function?.name ?? null;
  return null;
}

/** The text of the last user message, in either vendor's dialect. */
export function lastUserMessage(body: Record<string, unknown>): string {
  const messages = (body.messages as { role: string; content: unknown }[] | undefined) ?? [];
  const last = messages.filter((m) => m.role === 'user').at(-1);
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return (last.content as { type: string; text?: string }[])
    .filter((part) => part.type === 'text')
    .map((part) => part.text ?? '')
    .join('\n');
}

/** The system prompt, in either vendor's dialect. */
export function systemPromptOf(body: Record<string, unknown>): string {
  if (typeof body.system === 'string') return body.system;
  if (Array.isArray(body.system)) return (body.system as { text?: string }[]).map((b) => b.text ?? '').join('\n');
  const messages = (body.messages as { role: string; content: unknown }[] | undefined) ?? [];
  const system = messages.find((m) => m.role === 'system');
  return typeof system?.content === 'string' ? system.content : '';
}

function matches(reply: ScriptedReply, api: VendorApi, body: Record<string, unknown>): boolean {
  const m = reply.match ?? {};
  // A reply names embeddings explicitly (or brings vectors); otherwise it answers a chat request.
  const target = m.api ?? (reply.vectors ? 'openai-embeddings' : undefined);
  if (target ? target !== api : api === 'openai-embeddings') return false;
  if (m.forcedTool && (forcedToolOf(body) ?? 'none') !== m.forcedTool) return false;
  if (m.lastUserMessageIncludes && !lastUserMessage(body).includes(m.lastUserMessageIncludes)) return false;
  return true;
}

interface Answer {
  text: string;
  toolCalls: { id: string; name: string; input: unknown }[];
}

function completeReply(api: VendorApi, body: Record<string, unknown>, reply: ScriptedReply): Answer {
  const forced = forcedToolOf(body);
  let toolCalls = reply.toolCalls ?? [];
  if (!reply.text && !toolCalls.length && forced) {
    toolCalls = [{ name: forced, input: minimalValue(toolSchema(api, body, forced)) }];
  }
  const text = reply.text ?? (toolCalls.length ? '' : DEFAULT_CHAT_REPLY);
  return { text, toolCalls: toolCalls.map((call, i) => ({ id: `call_${i}_${randomId()}`, ...call })) };
}

function toolSchema(api: VendorApi, body: Record<string, unknown>, name: string): unknown {
  const tools = (body.tools as Record<string, unknown>[] | undefined) ?? [];
  if (api === 'anthropic') return tools.find((t) => t.name === name)?.input_schema;
  const fn = tools.map((t) => t.function as { name: string; parameters?: unknown }).find((f) => f.name === name);
  return fn?.parameters;
}

/** The smallest value a JSON schema accepts: what a model answers when it found nothing. */
export function minimalValue(schema: unknown): unknown {
  const s = (schema ?? {}) as {
    type?: string;
    properties?: Record<string, unknown>;
    required?: string[];
    enum?: unknown[];
    minLength?: number;
  };
  if (s.enum?.length) return s.enum[0];
  switch (s.type) {
    case 'object':
      return Object.fromEntries((s.required ?? []).map((key) => [key, minimalValue(s.properties?.[key])]));
    case 'array':
      return [];
    case 'string':
      return 'x'.repeat(s.minLength ?? 0);
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

/** Splits text into word-sized chunks, the way a model streams tokens. */
function chunks(text: string): string[] {
  return text.match(/\s*\S+/g) ?? (text ? [text] : []);
}

function anthropicMessage(body: Record<string, unknown>, answer: Answer) {
  return {
    id: `msg_${randomId()}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [
      ...(answer.text ? [{ type: 'text', text: answer.text }] : []),
      ...answer.toolCalls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.input })),
    ],
    stop_reason: answer.toolCalls.length ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: chunks(answer.text).length },
  };
}

async function streamAnthropic(res: ServerResponse, answer: Answer, reply: ScriptedReply, stalled: Set<ServerResponse>) {
  const send = (event: string, data: Record<string, unknown>) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  openEventStream(res);
  const message = anthropicMessage({}, { text: '', toolCalls: [] });
  send('message_start', { message: { ...message, content: [], stop_reason: null } });
  let index = 0;
  if (answer.text) {
    send('content_block_start', { index, content_block: { type: 'text', text: '' } });
    let sent = 0;
    for (const chunk of chunks(answer.text)) {
      if (reply.failAfterChunks !== undefined && sent === reply.failAfterChunks) {
        send('error', { error: { type: 'overloaded_error', message: reply.errorMessage ?? 'Overloaded' } });
        return void res.end();
      }
      if (sent === reply.stallAfterChunks) return holdOpen(res, stalled);
      if (sent === reply.dropAfterChunks) return cut(res);
      await sleep(reply.chunkDelayMs ?? 0);
      send('content_block_delta', { index, delta: { type: 'text_delta', text: chunk } });
      sent++;
    }
    send('content_block_stop', { index });
    index++;
  }
  for (const call of answer.toolCalls) {
    send('content_block_start', { index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } });
    const json = JSON.stringify(call.input);
    // Tool input arrives as partial JSON, split mid-token as the real API does.
    for (let at = 0; at < json.length; at += 16) {
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(at, at + 16) } });
    }
    send('content_block_stop', { index });
    index++;
  }
  send('message_delta', {
    delta: { stop_reason: answer.toolCalls.length ? 'tool_use' : 'end_turn', stop_sequence: null },
    usage: { output_tokens: chunks(answer.text).length },
  });
  send('message_stop', {});
  res.end();
}

function openAiToolCalls(answer: Answer) {
  return answer.toolCalls.map((c) => ({
    id: c.id,
    type: 'function',
    function: { name: c.name, arguments: typeof c.input === 'string' ? c.input : JSON.stringify(c.input) },
  }));
}

function openAiCompletion(body: Record<string, unknown>, answer: Answer) {
  return {
    id: `chatcmpl-${randomId()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.text || null,
          ...(answer.toolCalls.length ? { tool_calls: openAiToolCalls(answer) } : {}),
        },
        finish_reason: answer.toolCalls.length ? 'tool_calls' : 'stop',
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: chunks(answer.text).length, total_tokens: 10 },
  };
}

async function streamOpenAi(
  res: ServerResponse,
  body: Record<string, unknown>,
  answer: Answer,
  reply: ScriptedReply,
  stalled: Set<ServerResponse>,
) {
  const id = `chatcmpl-${randomId()}`;
  const send = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    res.write(
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, delta, finish_reason: finishReason }],
      })}\n\n`,
    );
  openEventStream(res);
  send({ role: 'assistant', content: '' });
  let sent = 0;
  for (const chunk of chunks(answer.text)) {
    if (reply.failAfterChunks !== undefined && sent === reply.failAfterChunks) {
      res.write(`data: ${JSON.stringify({ error: { message: reply.errorMessage ?? 'Overloaded' } })}\n\n`);
      return void res.end();
    }
    if (sent === reply.stallAfterChunks) return holdOpen(res, stalled);
    if (sent === reply.dropAfterChunks) return cut(res);
    await sleep(reply.chunkDelayMs ?? 0);
    send({ content: chunk });
    sent++;
  }
  openAiToolCalls(answer).forEach((call, index) => {
    send({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
    send({ tool_calls: [{ index, function: { arguments: call.function.arguments } }] });
  });
  send({}, answer.toolCalls.length ? 'tool_calls' : 'stop');
  // As the API does when asked (stream_options.include_usage): a last chunk with no choices.
  if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
    const usage = { prompt_tokens: 10, completion_tokens: sent, total_tokens: 10 + sent };
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model, choices: [], usage })}\n\n`);
  }
  res.write('data: [DONE]\n\n');
  res.end();
}

function embeddingsResponse(body: Record<string, unknown>, reply: ScriptedReply, defaultDimensions: number, dense = false) {
  const inputs = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : defaultDimensions;
  const base64 = body.encoding_format === 'base64';
  return {
    object: 'list',
    model: body.model,
    data: inputs.map((text, index) => {
      const vector = reply.vectors?.[text] ?? bagOfWordsVector(text, dimensions, dense);
      return { object: 'embedding', index, embedding: base64 ? toBase64(vector) : vector };
    }),
    usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
  };
}

/**
 * Each word adds a fixed pseudo-random direction, so texts that share words are close: 8 of the
 * dimensions, or (`dense`) all of them, from a generator the word's digest seeds.
 */
export function bagOfWordsVector(text: string, dimensions: number, dense = false): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const digest = createHash('sha256').update(word).digest();
    if (dense) {
      let state = digest.readUInt32LE(0) || 1;
      for (let slot = 0; slot < dimensions; slot++) {
        // xorshift32: cheap, and the same values for the same word on every run.
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        v[slot] = v[slot]! + (state >>> 0) / 2 ** 32 - 0.5;
      }
      continue;
    }
    for (let i = 0; i < 8; i++) {
      const slot = digest.readUInt32LE(i * 4) % dimensions;
      v[slot] = v[slot]! + (i % 2 === 0 ? 1 : -1);
    }
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** OpenAI's base64 encoding: little-endian float32. */
function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

function sendError(res: ServerResponse, api: VendorApi, status: number, message: string, retryAfter?: string) {
  const body =
    api === 'anthropic'
      ? { type: 'error', error: { type: status === 529 ? 'overloaded_error' : 'api_error', message } }
      : { error: { message, type: 'server_error', code: null } };
  sendJson(res, status, body, retryAfter ? { 'retry-after': retryAfter } : {});
}

/**
 * A vendor gone silent mid-stream: nothing more is sent, and the handler ends when the connection
 * does (the client gave up, or the fake closed), so no response outlives its socket.
 */
function holdOpen(res: ServerResponse, stalled: Set<ServerResponse>): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  stalled.add(res);
  return new Promise((resolve) =>
    res.once('close', () => {
      stalled.delete(res);
      resolve();
    }),
  );
}

/** Closes the connection mid-response, once what was written has gone out (destroy would drop it). */
function cut(res: ServerResponse) {
  res.socket?.end();
}

function openEventStream(res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

const sleep = (ms: number) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
const randomId = () => Math.random().toString(36).slice(2, 12);
