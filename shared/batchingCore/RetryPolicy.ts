import type { Random } from './types';

/** How backoff is computed. */
export interface RetryPolicyOptions {
  /** Backoff ceiling of the first retry. */
  baseBackoffMs: number;
  /** Ceiling of any backoff computed here (a Retry-After may ask for more). */
  maxBackoffMs: number;
  /** Source of the jitter, in [0, 1). */
  random: Random;
}

/**
 * Exponential backoff with full jitter: the n-th retry waits a uniformly random time in
 * [0, min(max, base × 2^(n−1))). Full jitter spreads the retries of many items that
 * failed together (one throttled batch, one Lambda fleet) instead of re-synchronising
 * them into the next burst; see the AWS Architecture Blog, "Exponential Backoff And
 * Jitter".
 */
export class RetryPolicy {
  constructor(private readonly options: RetryPolicyOptions) {}

  /**
   * Milliseconds to wait before retry number `retry` (1 for the first retry).
   * A backend's Retry-After is a floor: it knows its own recovery better than our
   * guess, so it wins even above `maxBackoffMs`.
   */
  backoffMs(retry: number, retryAfterMs?: number): number {
    const exponent = Math.max(0, retry - 1);
    const ceiling = Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** exponent);
    const jittered = Math.floor(this.options.random() * ceiling);
    return Math.max(jittered, retryAfterMs ?? 0);
  }
}
