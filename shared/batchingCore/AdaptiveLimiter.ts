import type { Clock } from './types';
import { DEFAULT_INITIAL_CONCURRENCY } from './constants';
import { ANONYMOUS_CLAIM, FairQueue, type Claim, type FairEntry, type FairShareOptions, type ResolvedFairShare } from './FairShare';

/** How one backend's limiter is built. */
export interface AdaptiveLimiterOptions {
  /** Ceiling of the limit: the backend's own maximum concurrency. */
  maxConcurrency: number;
  /** Where the limit starts. Default min(4, maxConcurrency); clamped to [1, maxConcurrency]. */
  initialConcurrency?: number;
  /** Drives the Retry-After pause. */
  clock: Clock;
  /** How waiting calls share the slots (tenants, real-time ahead of batch); see {@link FairQueue}. */
  fairShare?: FairShareOptions | ResolvedFairShare;
}

interface Waiter {
  resolve: (epoch: number) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * The concurrency limit of one backend, adapted as TCP adapts its window: a slow start
 * first (+1 per success, so the limit doubles each round) until the backend first
 * throttles, then AIMD: it halves on a throttle and grows by one per round of successes,
 * so the core finds a backend's capacity in a few rounds and settles just under it
 * instead of hammering it with a fixed pool. Starting at 4 and growing by one per round
 * would take minutes to reach a GPU pool's 64 at generation times of seconds; slow start
 * takes four rounds.
 *
 * Who starts when a slot frees is the {@link FairQueue}'s choice: real-time calls first,
 * batch calls in what is left, weighted max-min fair shares across tenants within each
 * class (FIFO when a call carries no claim, or when fair sharing is off). A throttle that
 * reports Retry-After can also hold every start until a clock time ({@link pauseUntil}).
 */
export class AdaptiveLimiter {
  /** Ceiling of {@link limit}. */
  readonly maxConcurrency: number;
  #limit: number;
  #inFlight = 0;
  #successes = 0;
  /** Slow start until the first throttle; congestion avoidance (AIMD) after it. */
  #slowStart = true;
  #epoch = 0;
  #pausedUntil = Number.NEGATIVE_INFINITY;
  #pauseTimerArmed = false;
  readonly #waiters: FairQueue<Waiter>;
  readonly #clock: Clock;

  constructor(options: AdaptiveLimiterOptions) {
    this.maxConcurrency = Math.max(1, Math.floor(options.maxConcurrency));
    const initial = options.initialConcurrency ?? Math.min(DEFAULT_INITIAL_CONCURRENCY, this.maxConcurrency);
    this.#limit = Math.min(this.maxConcurrency, Math.max(1, Math.floor(initial)));
    this.#clock = options.clock;
    this.#waiters = new FairQueue<Waiter>(options.fairShare);
  }

  /** Calls allowed in flight now. */
  get limit(): number {
    return this.#limit;
  }

  /** Calls holding a slot now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Acquirers queued for a slot. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Calls in flight of one tenant. */
  inFlightOf(tenantId: string): number {
    return this.#waiters.inFlightOf(tenantId);
  }

  /** Calls in flight of one class. */
  inFlightOfClass(priority: Claim['priority']): number {
    return this.#waiters.inFlightOfClass(priority);
  }

  /** Clock time before which no start is granted (−∞ when not paused). */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  /**
   * Waits for a slot. Resolves with the congestion epoch the call starts in, which the
   * caller hands back to {@link decrease} if the call is throttled. Rejects with the
   * signal's reason if it aborts first; the caller then holds no slot.
   */
  acquire(signal?: AbortSignal, claim: Claim = ANONYMOUS_CLAIM): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const epoch = this.tryAcquire(claim);
    if (epoch !== undefined) return Promise.resolve(epoch);
    return new Promise<number>((resolve, reject) => {
      let entry: FairEntry<Waiter> | undefined;
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          if (entry) this.#waiters.remove(entry);
          reject(signal!.reason);
          // The one who left may have been what held others back (a batch head under the reserve).
          this.#grant();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      entry = this.#waiters.push(claim, waiter, this.#clock.now());
      // Queued behind a Retry-After pause: someone must wake the queue when it ends.
      this.#armPauseTimer();
    });
  }

  /**
   * Takes a slot at once if one is free and nobody is queued, as {@link acquire} would;
   * returns the congestion epoch, or undefined (nothing taken) when the caller must wait.
   * Lets the caller skip building the abort machinery of a wait that will not happen.
   */
  tryAcquire(claim: Claim = ANONYMOUS_CLAIM): number | undefined {
    const now = this.#clock.now();
    if (now < this.#pausedUntil || !this.#waiters.mayStart(claim, this.#inFlight, this.#limit, now)) return undefined;
    this.#inFlight += 1;
    this.#waiters.started(claim, now);
    return this.#epoch;
  }

  /** Gives back the slot of a call that has ended, whatever its result; `claim` is the one it started with. */
  release(claim: Claim = ANONYMOUS_CLAIM): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#waiters.ended(claim);
    this.#grant();
  }

  /**
   * Multiplicative decrease after a throttle: halves the limit (floor 1), once per
   * congestion epoch. Calls started before the last decrease were sent at the old rate,
   * so their throttles are echoes of congestion already acted on and are ignored;
   * otherwise a burst of 429s from one overload would collapse the limit to 1.
   * Returns whether the limit changed epoch.
   */
  decrease(callEpoch: number): boolean {
    if (callEpoch !== this.#epoch) return false;
    this.#epoch += 1;
    this.#limit = Math.max(1, Math.floor(this.#limit / 2));
    this.#successes = 0;
    this.#slowStart = false;
    return true;
  }

  /**
   * Increase after a success, up to the ceiling: +1 per success in slow start (before
   * any throttle), else +1 once `limit` calls have succeeded since the last change,
   * i.e. one step per round of the current window.
   */
  increase(): void {
    this.#successes += 1;
    if (!this.#slowStart && this.#successes < this.#limit) return;
    this.#successes = 0;
    if (this.#limit < this.maxConcurrency) {
      this.#limit += 1;
      this.#grant();
    }
  }

  /** Holds every start until the clock reaches `time` (a backend's Retry-After). */
  pauseUntil(time: number): void {
    if (time <= this.#pausedUntil) return;
    this.#pausedUntil = time;
    // With nobody queued there is nothing to wake: acquire() checks the time itself.
    if (this.#waiters.size > 0) this.#armPauseTimer();
  }

  #grant(): void {
    const now = this.#clock.now();
    if (now >= this.#pausedUntil) {
      for (
        let entry = this.#waiters.next(this.#inFlight, this.#limit, now);
        entry;
        entry = this.#waiters.next(this.#inFlight, this.#limit, now)
      ) {
        const waiter = entry.waiter;
        waiter.signal?.removeEventListener('abort', waiter.onAbort);
        this.#inFlight += 1;
        waiter.resolve(this.#epoch);
      }
    }
    if (this.#waiters.size > 0) this.#armPauseTimer();
  }

  /** One timer at a time; when it fires early (the pause was extended) it re-arms. */
  #armPauseTimer(): void {
    const wait = this.#pausedUntil - this.#clock.now();
    if (this.#pauseTimerArmed || wait <= 0) return;
    this.#pauseTimerArmed = true;
    void this.#clock.sleep(wait).then(() => {
      this.#pauseTimerArmed = false;
      this.#grant();
    });
  }
}
