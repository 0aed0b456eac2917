import type { Clock } from './types';
import { DEFAULT_INITIAL_CONCURRENCY } from './constants';

/** How one backend's limiter is built. */
export interface AdaptiveLimiterOptions {
  /** Ceiling of the limit: the backend's own maximum concurrency. */
  maxConcurrency: number;
  /** Where the limit starts. Default min(4, maxConcurrency); clamped to [1, maxConcurrency]. */
  initialConcurrency?: number;
  /** Drives the Retry-After pause. */
  clock: Clock;
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
 * Starts are granted in FIFO order. A throttle that reports Retry-After can also hold
 * every start until a clock time ({@link pauseUntil}).
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
  readonly #waiters: Waiter[] = [];
  readonly #clock: Clock;

  constructor(options: AdaptiveLimiterOptions) {
    this.maxConcurrency = Math.max(1, Math.floor(options.maxConcurrency));
    const initial = options.initialConcurrency ?? Math.min(DEFAULT_INITIAL_CONCURRENCY, this.maxConcurrency);
    this.#limit = Math.min(this.maxConcurrency, Math.max(1, Math.floor(initial)));
    this.#clock = options.clock;
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
    return this.#waiters.length;
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
  acquire(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const epoch = this.tryAcquire();
    if (epoch !== undefined) return Promise.resolve(epoch);
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      // Queued behind a Retry-After pause: someone must wake the queue when it ends.
      this.#armPauseTimer();
    });
  }

  /**
   * Takes a slot at once if one is free and nobody is queued, as {@link acquire} would;
   * returns the congestion epoch, or undefined (nothing taken) when the caller must wait.
   * Lets the caller skip building the abort machinery of a wait that will not happen.
   */
  tryAcquire(): number | undefined {
    if (this.#waiters.length > 0 || !this.#canStart()) return undefined;
    this.#inFlight += 1;
    return this.#epoch;
  }

  /** Gives back the slot of a call that has ended, whatever its result. */
  release(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
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
    if (this.#waiters.length > 0) this.#armPauseTimer();
  }

  #canStart(): boolean {
    return this.#inFlight < this.#limit && this.#clock.now() >= this.#pausedUntil;
  }

  #grant(): void {
    while (this.#waiters.length > 0 && this.#canStart()) {
      const waiter = this.#waiters.shift()!;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.#inFlight += 1;
      waiter.resolve(this.#epoch);
    }
    if (this.#waiters.length > 0) this.#armPauseTimer();
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
