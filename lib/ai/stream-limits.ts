/**
 * Bounds on a streamed model call that the SDKs do not give: MODEL_TIMEOUT_MS between stream
 * events (the SDKs' timeout ends with the response headers), and retries the person is told
 * about, with the vendor's retry-after capped (the SDKs honour any retry-after, silently).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ModelStalledError, modelFaultOf, retryReason } from './errors';
import type { ChatEvent, ChatFn, ChatRequest } from './types';
import { vendorFetch, type Fetch } from './vendor-fetch';

/**
 * The longest wait before a retry, whatever retry-after asks: the person watches an empty answer
 * meanwhile, and past ~10 s an error they can act on serves them better than more waiting (a
 * vendor asked for 25 s in the fault run).
 */
export const MAX_RETRY_WAIT_MS = 10_000;
/** The first wait when the vendor names none, doubled per retry up to the cap, as the SDKs do. */
export const FIRST_BACKOFF_MS = 500;

export interface ChatLimits {
  /** MODEL_TIMEOUT_MS: the longest wait for the first stream event, and between two. */
  timeoutMs: number;
  /** MODEL_MAX_RETRIES: how often a failure is retried while nothing has been yielded. */
  maxRetries: number;
  /** Defaults to MAX_RETRY_WAIT_MS; tests shorten it. */
  maxRetryWaitMs?: number;
  /** Defaults to FIRST_BACKOFF_MS; tests shorten it. */
  firstBackoffMs?: number;
}

/** The wait a vendor asks for: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (ms > 0) return ms;
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds > 0 ? seconds * 1000 : undefined;
  const at = Date.parse(value);
  return at > now ? at - now : undefined;
}

/**
 * fetch for the SDK clients: their own retries (kept for extraction and embeddings, which nobody
 * watches) honour any retry-after and offer no cap, so a longer one is rewritten to `maxWaitMs`.
 */
export function fetchCappingRetryAfter(maxWaitMs = MAX_RETRY_WAIT_MS): Fetch {
  return async (input, init) => {
    const response = await vendorFetch(input, init);
    const asked = response.ok ? undefined : retryAfterMs(response.headers);
    if (asked === undefined || asked <= maxWaitMs) return response;
    const headers = new Headers(response.headers);
    headers.delete('retry-after');
    headers.set('retry-after-ms', String(maxWaitMs));
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/**
 * One try at a streamed call, timed: `signal` goes to the SDK request, and every wait on it goes
 * through `within` or `events`, which fail with ModelStalledError (and abort the request, closing
 * its socket) once the vendor has sent nothing for `timeoutMs`. The clock runs from the start to
 * the first event and from each event to the next; it stops while the caller holds an event.
 */
export class StreamGuard {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly stalled: Promise<never>;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stall: (error: ModelStalledError) => void = () => {};

  constructor(
    private readonly timeoutMs: number,
    outer?: AbortSignal,
  ) {
    this.signal = outer ? AbortSignal.any([this.controller.signal, outer]) : this.controller.signal;
    this.stalled = new Promise<never>((_, reject) => (this.stall = reject));
    // The stall may come while nothing awaits it; the next wait then fails at once.
    this.stalled.catch(() => {});
    this.arm();
  }

  /** `promise`, or ModelStalledError if the clock runs out first. */
  within<T>(promise: PromiseLike<T>): Promise<T> {
    return Promise.race([promise, this.stalled]);
  }

  /** The SDK's stream events, each within the limit of the one before. */
  async *events<T>(stream: AsyncIterable<T>): AsyncGenerator<T> {
    const iterator = stream[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.within(iterator.next());
      if (next.done) return;
      clearTimeout(this.timer);
      yield next.value;
      this.arm();
    }
  }

  /** Ends the try: stops the clock and aborts the request, a no-op if it had finished. */
  close(): void {
    clearTimeout(this.timer);
    this.controller.abort();
  }

  private arm() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const error = new ModelStalledError(this.timeoutMs);
      // Rejected first, so a wait fails with the stall, not with the SDK's reaction to the abort.
      this.stall(error);
      this.controller.abort(error);
    }, this.timeoutMs);
  }
}

/** One try at a streamed chat reply: the SDK request opened with `guard.signal` and read through it. */
export type ChatAttempt = (request: ChatRequest, guard: StreamGuard) => AsyncIterable<ChatEvent>;

function headersOf(error: unknown): Headers | undefined {
  const headers = (error as { headers?: unknown } | null)?.headers;
  return headers instanceof Headers ? headers : undefined;
}

/**
 * A ChatFn from one provider's attempt, bounded: each try is timed by a StreamGuard, and a
 * retryable failure before anything was yielded is tried again (up to `maxRetries`) after a
 * `retrying` event, waiting what the vendor asks (capped) or an exponential backoff. Once an
 * event was yielded a failure is thrown: a second try would repeat what the person already saw.
 */
export function boundedChat(attempt: ChatAttempt, limits: ChatLimits): ChatFn {
  const maxWaitMs = limits.maxRetryWaitMs ?? MAX_RETRY_WAIT_MS;
  const firstBackoffMs = limits.firstBackoffMs ?? FIRST_BACKOFF_MS;
  return async function* chat(request) {
    for (let retry = 0; ; retry++) {
      const guard = new StreamGuard(limits.timeoutMs, request.signal);
      let yielded = false;
      let failure: unknown;
      try {
        for await (const event of attempt(request, guard)) {
          yielded = true;
          yield event;
        }
        return;
      } catch (error) {
        failure = error;
      } finally {
        guard.close();
      }
      const { fault, retryable } = modelFaultOf(failure);
      if (yielded || !retryable || retry >= limits.maxRetries || request.signal?.aborted) throw failure;

      // Jitter (as the SDKs add) keeps many people's retries from landing on the vendor at once.
      const backoffMs = firstBackoffMs * 2 ** retry * (1 - Math.random() * 0.25);
      const waitMs = Math.min(retryAfterMs(headersOf(failure)) ?? backoffMs, maxWaitMs);
      yield { type: 'retrying', inSeconds: Math.ceil(waitMs / 1000), reason: retryReason(fault) };
      // Rejects only when the request is aborted: then the abort's reason is what is thrown.
      await delay(waitMs, undefined, { signal: request.signal }).catch(() => request.signal?.throwIfAborted());
    }
  };
}
