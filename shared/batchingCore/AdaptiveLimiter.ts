import type { LearnedLimit } from './LimitMemory';
import type { Clock } from './types';
import { DEFAULT_INITIAL_CONCURRENCY, DEFAULT_LATENCY_TOLERANCE } from './constants';
import { ANONYMOUS_CLAIM, FairQueue, type Claim, type FairEntry, type FairShareOptions, type ResolvedFairShare } from './FairShare';

/** How one backend's limiter is built. */
export interface AdaptiveLimiterOptions {
  /** Ceiling of the limit: the backend's own maximum concurrency. */
  maxConcurrency: number;
  /**
   * Where the limit starts (the backend's expected concurrency), and the floor of the
   * latency backoff. Default min(4, maxConcurrency); clamped to [1, maxConcurrency].
   */
  initialConcurrency?: number;
  /** Calls that fill the backend's servers (see `Backend.serverSlots`): the base of the real-time reserve and latency guard. */
  serverSlots?: number;
  /** Drives the Retry-After pause. */
  clock: Clock;
  /** How waiting calls share the slots (tenants, real-time ahead of batch); see {@link FairQueue}. */
  fairShare?: FairShareOptions | ResolvedFairShare;
  /**
   * What earlier limiters of this backend learned (in a warm container): the limit, the
   * phase and the least latency resume from it, and this limiter keeps it up to date.
   * See {@link LimitMemory}.
   */
  learned?: LearnedLimit;
  /**
   * Latency backoff: once the smoothed latency of recent calls exceeds this multiple of
   * the least latency seen, the backend is queueing work, and the limit backs off
   * (×{@link LATENCY_BACKOFF}, not below `initialConcurrency`). Default 3; `Infinity`
   * turns it off.
   */
  latencyTolerance?: number;
}

/** Factor of the limit after latency rose past the tolerance: a gentle step, unlike a throttle's halving. */
export const LATENCY_BACKOFF = 0.9;
/** Weight of each new latency in the smoothed one. */
const LATENCY_SMOOTHING = 0.1;
/** Latencies measured since the last change before the smoothed one is trusted. */
const LATENCY_SAMPLES = 10;

interface Waiter {
  resolve: (epoch: number) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  /** Set only with a signal: a wait nothing can abort needs no listener. */
  onAbort: (() => void) | undefined;
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
 * It also backs off when latency rises, as Vegas or a gradient limiter does: the least
 * latency seen is what the backend takes unloaded (or at its expected load); once the
 * smoothed latency passes `latencyTolerance` times that, calls are queueing at the
 * backend without more throughput, so the limit steps down by {@link LATENCY_BACKOFF}
 * and probes on by AIMD. That backoff stops at the backend's expected concurrency (where
 * the limit started), which the catalogue sizes to what its servers run at once (a pool
 * of batched calls: with one server-full queued behind, its ceiling): rising latency only
 * trims what probing added above it; a throttle can go lower.
 *
 * What a limiter learns can outlive it ({@link LearnedLimit}): a warm container's next
 * core resumes at the learned limit instead of starting over.
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
  /** Floor of the latency backoff: where the limit started. */
  readonly #floor: number;
  #inFlight = 0;
  #successes = 0;
  /** Slow start until the first throttle; congestion avoidance (AIMD) after it. */
  #slowStart = true;
  readonly #learned: LearnedLimit;
  readonly #tolerance: number;
  /** Smoothed latency since the last change of the limit, and how many calls it holds. */
  #smoothed = 0;
  #samples = 0;
  /** The last verdict of the latency check: the backend was queueing. */
  #queueing = false;
  #epoch = 0;
  #pausedUntil = Number.NEGATIVE_INFINITY;
  #pauseTimerArmed = false;
  readonly #waiters: FairQueue<Waiter>;
  readonly #clock: Clock;

  constructor(options: AdaptiveLimiterOptions) {
    this.maxConcurrency = Math.max(1, Math.floor(options.maxConcurrency));
    const initial = options.initialConcurrency ?? Math.min(DEFAULT_INITIAL_CONCURRENCY, this.maxConcurrency);
    this.#floor = this.#clamp(initial);
    this.#learned = options.learned ?? {};
    this.#limit = this.#learned.limit === undefined ? this.#floor : this.#clamp(this.#learned.limit);
    this.#slowStart = this.#learned.congested !== true;
    this.#tolerance = options.latencyTolerance ?? DEFAULT_LATENCY_TOLERANCE;
    this.#clock = options.clock;
    this.#waiters = new FairQueue<Waiter>(options.fairShare, options.serverSlots);
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
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          if (entry) this.#waiters.remove(entry);
          reject(signal.reason);
          // The one who left may have been what held others back (a batch head under the reserve).
          this.#grant();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      entry = this.#waiters.push(claim, waiter, this.#clock.now());
      // A call refused only because others wait may still start now (they may be held
      // where it is not: another tenant's flood past its share); the grant also arms the
      // wake-up behind a Retry-After pause.
      this.#grant();
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
    this.#setLimit(Math.max(1, Math.floor(this.#limit / 2)));
    return true;
  }

  /**
   * Increase after a success, up to the ceiling: +1 per success in slow start (before
   * any push-back), else +1 once `limit` calls have succeeded since the last change,
   * i.e. one step per round of the current window.
   *
   * With the call's `latency` (best per unit of work, so that long and short calls
   * compare) and its congestion epoch, a latency past the tolerance steps the limit down
   * instead, or holds it at the floor (see the class); latencies of calls started before
   * the last change are not held against the new limit.
   */
  increase(latency?: number, callEpoch = this.#epoch): void {
    if (latency !== undefined && latency >= 0 && callEpoch === this.#epoch) {
      const verdict = this.#latencyVerdict(latency);
      // Queueing at the backend: step down toward the floor, and at the floor hold.
      if (verdict === 'rose' && this.#limit > this.#floor)
        this.#setLimit(Math.max(this.#floor, Math.min(this.#limit - 1, Math.floor(this.#limit * LATENCY_BACKOFF))));
      if (verdict !== 'fine') return;
    }
    this.#successes += 1;
    if (!this.#slowStart && this.#successes < this.#limit) return;
    this.#successes = 0;
    if (this.#limit < this.maxConcurrency) {
      this.#limit += 1;
      this.#learned.limit = this.#limit;
      this.#grant();
    }
  }

  /**
   * Records a latency and judges it: `rose` when the smoothed latency has passed the
   * tolerance, `hold` while too few calls have been measured since the last change to
   * judge after a rise (no growth meanwhile), `fine` otherwise. The baseline is the least
   * smoothed latency seen, not the least single one, so one lucky call does not set it.
   */
  #latencyVerdict(latency: number): 'rose' | 'hold' | 'fine' {
    // A running mean over the first samples since the last change, then an exponential average.
    const weight = Math.max(LATENCY_SMOOTHING, 1 / (this.#samples + 1));
    this.#smoothed += (latency - this.#smoothed) * weight;
    this.#samples += 1;
    if (this.#samples < LATENCY_SAMPLES) return this.#queueing ? 'hold' : 'fine';
    const least = this.#learned.minLatency;
    if (least === undefined || this.#smoothed < least) this.#learned.minLatency = this.#smoothed;
    this.#queueing = this.#smoothed > this.#tolerance * this.#learned.minLatency!;
    return this.#queueing ? 'rose' : 'fine';
  }

  /** A push-back: the new limit, a new epoch, congestion avoidance from now on. */
  #setLimit(limit: number): void {
    this.#epoch += 1;
    this.#limit = limit;
    this.#successes = 0;
    this.#slowStart = false;
    this.#samples = 0;
    this.#learned.limit = limit;
    this.#learned.congested = true;
  }

  #clamp(limit: number): number {
    return Math.min(this.maxConcurrency, Math.max(1, Math.floor(limit)));
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
        if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
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
