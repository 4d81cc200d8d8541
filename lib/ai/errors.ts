/**
 * A vendor failure as a user can read it, and whether trying again may help. The SDKs' errors
 * carry an HTTP status, an error type from the stream, or a connection error; the raw message
 * (which may name internals) stays in the server log.
 */
import * as anthropic from '@anthropic-ai/sdk';
import * as openai from 'openai';

/** The model stream went silent for longer than MODEL_TIMEOUT_MS; thrown by lib/ai/stream-limits. */
export class ModelStalledError extends Error {
  constructor(readonly silentMs: number) {
    super(`The model sent nothing for ${silentMs} ms`);
    this.name = 'ModelStalledError';
  }
}

export type ModelFault =
  | 'stalled'
  | 'timed_out'
  | 'unreachable'
  | 'connection_lost'
  | 'rate_limited'
  | 'overloaded'
  | 'server_error'
  | 'key_refused'
  | 'other';

/** What went wrong, and whether the same request may succeed if sent again. */
export interface ModelFaultInfo {
  fault: ModelFault;
  retryable: boolean;
}

/** Statuses worth another try: rate limits, overload and a vendor's (or its gateway's) transient failures. */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504, 529]);

/** Error types the vendors send inside a stream that has already answered 200. */
const STREAM_ERROR_FAULTS: Record<string, ModelFault> = {
  overloaded_error: 'overloaded',
  rate_limit_error: 'rate_limited',
  rate_limit_exceeded: 'rate_limited',
  api_error: 'server_error',
  server_error: 'server_error',
};

/** Undici's codes for a socket that closed under a response still being read. */
const SOCKET_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

/** The response body stopped mid-read: fetch says "terminated", its cause names the socket. */
function isConnectionLost(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if ((typeof code === 'string' && SOCKET_CODES.has(code)) || (e instanceof TypeError && e.message === 'terminated')) {
      return true;
    }
  }
  return false;
}

export function modelFaultOf(error: unknown): ModelFaultInfo {
  // By name: the services may be built in another bundle (the start-up warm-up), with its own copy of the class.
  if (error instanceof Error && error.name === 'ModelStalledError') return { fault: 'stalled', retryable: true };
  // A caller's AbortSignal.timeout: the caller's deadline has passed, another try would too.
  if (error instanceof Error && error.name === 'TimeoutError') return { fault: 'timed_out', retryable: false };
  if (error instanceof anthropic.APIUserAbortError || error instanceof openai.APIUserAbortError) {
    return { fault: 'other', retryable: false };
  }
  if (error instanceof anthropic.APIConnectionTimeoutError || error instanceof openai.APIConnectionTimeoutError) {
    return { fault: 'timed_out', retryable: true };
  }
  if (error instanceof anthropic.APIConnectionError || error instanceof openai.APIConnectionError) {
    return { fault: 'unreachable', retryable: true };
  }
  if (error instanceof anthropic.APIError || error instanceof openai.APIError) {
    const status = error.status;
    if (status === undefined) {
      // An error event inside a 200 stream: its type says what happened.
      const fault = STREAM_ERROR_FAULTS[String(error.type ?? '')] ?? 'server_error';
      return { fault, retryable: true };
    }
    const retryable = RETRYABLE_STATUSES.has(status);
    if (status === 429) return { fault: 'rate_limited', retryable };
    if (status === 529 || status === 503) return { fault: 'overloaded', retryable };
    if (status === 401 || status === 403) return { fault: 'key_refused', retryable };
    if (status >= 500) return { fault: 'server_error', retryable };
    return { fault: 'other', retryable };
  }
  if (isConnectionLost(error)) return { fault: 'connection_lost', retryable: true };
  return { fault: 'other', retryable: false };
}

/** Why a request is sent again, as the short phrase the person sees ("retrying in 4 s: …"). */
export function retryReason(fault: ModelFault): string {
  switch (fault) {
    case 'stalled':
      return 'the model stopped responding';
    case 'timed_out':
      return 'the model took too long to answer';
    case 'unreachable':
      return 'the model provider could not be reached';
    case 'connection_lost':
      return 'the connection to the model provider was lost';
    case 'rate_limited':
      return 'the model provider is rate-limiting requests';
    case 'overloaded':
      return 'the model provider is overloaded';
    default:
      return 'the model provider had an error';
  }
}

export function describeModelError(error: unknown): string {
  switch (modelFaultOf(error).fault) {
    case 'stalled':
      return `The model stopped responding for ${Math.round((error as ModelStalledError).silentMs / 1000)} s. Try again in a moment.`;
    case 'timed_out':
      return 'The model took too long to answer.';
    case 'unreachable':
      return 'Could not reach the model provider.';
    case 'connection_lost':
      return 'The connection to the model provider was lost. Try again in a moment.';
    case 'rate_limited':
      return 'The model provider is rate-limiting requests. Try again in a moment.';
    case 'overloaded':
      return 'The model provider is overloaded. Try again in a moment.';
    case 'key_refused':
      return 'The model provider refused the API key. Check the server settings.';
    case 'server_error':
      return 'The model provider had an error.';
    case 'other':
      return 'Something went wrong while writing the answer.';
  }
}
