import type { Clock, Random } from '../../shared/batchingCore/types';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
  detach: () => void;
}

/**
 * A {@link Clock} whose time only moves when the test says. `sleep` registers a timer;
 * {@link advance} and {@link runAll} fire due timers in time order (ties in the order
 * they were set), letting all pending promise callbacks run between two timers, so the
 * code under test sees time pass exactly as it would for real, without real waiting.
 */
export class FakeClock implements Clock {
  /** Every duration asked of `sleep`, in order, with the time it was asked at. */
  readonly sleeps: Array<{ at: number; ms: number }> = [];
  #now: number;
  #seq = 0;
  readonly #timers: Timer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push({ at: this.#now, ms });
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#remove(timer);
        reject(signal!.reason);
      };
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Timers still waiting. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Lets every pending promise callback (and what they start) run, without moving time. */
  async settle(): Promise<void> {
    for (let round = 0; round < 3; round += 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Moves time forward by `ms`, firing the timers that fall due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await this.settle();
    for (let next = this.#next(); next && next.at <= target; next = this.#next()) {
      await this.#fire(next);
    }
    this.#now = target;
    await this.settle();
  }

  /** Fires every timer, including the ones set meanwhile, until none is left. */
  async runAll(maxTimers = 10_000): Promise<void> {
    await this.settle();
    for (let fired = 0; ; fired += 1) {
      const next = this.#next();
      if (!next) return;
      if (fired >= maxTimers) throw new Error(`FakeClock.runAll: still busy after ${maxTimers} timers`);
      await this.#fire(next);
    }
  }

  async #fire(timer: Timer): Promise<void> {
    this.#remove(timer);
    this.#now = Math.max(this.#now, timer.at);
    timer.detach();
    timer.resolve();
    await this.settle();
  }

  #next(): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.#timers) {
      if (!best || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq)) best = timer;
    }
    return best;
  }

  #remove(timer: Timer): void {
    const index = this.#timers.indexOf(timer);
    if (index >= 0) this.#timers.splice(index, 1);
  }
}

/** A {@link Random} that returns `values` in turn, repeating the last one. */
export function sequenceRandom(...values: number[]): Random {
  let index = 0;
  return () => values[Math.min(index++, values.length - 1)] ?? 0.5;
}
