/**
 * Slows down repeated failed sign-ins from one address: after a few free attempts, each further
 * attempt waits twice as long as the one before, up to a cap, until the window passes. Kept in
 * process memory: one app process, or a sticky load balancer, is what it protects.
 */

export interface ThrottleOptions {
  freeAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
}

export const defaultThrottleOptions: ThrottleOptions = {
  freeAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  windowMs: 15 * 60_000,
};

export class FailedSignInThrottle {
  private failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly options: ThrottleOptions = defaultThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long the next attempt from `key` must wait. */
  delayMs(key: string): number {
    const entry = this.current(key);
    const over = (entry?.count ?? 0) - this.options.freeAttempts;
    if (over < 0) return 0;
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** over);
  }

  recordFailure(key: string) {
    const entry = this.current(key) ?? { count: 0, since: this.now() };
    entry.count += 1;
    this.failures.set(key, entry);
    if (this.failures.size > 10_000) this.prune();
  }

  reset(key: string) {
    this.failures.delete(key);
  }

  private current(key: string) {
    const entry = this.failures.get(key);
    if (entry && this.now() - entry.since > this.options.windowMs) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }

  private prune() {
    for (const key of [...this.failures.keys()]) this.current(key);
  }
}
