import type { LimitCounterStore, WindowResource } from './types';

/** How a container draws on a shared window counter. */
export interface AllowanceOptions {
  store: LimitCounterStore;
  /** Length of a rate window (a minute unless configuration shortens it). */
  windowMs: number;
  /** Share of a limit drawn at once (0.02: a fiftieth), at least 1. */
  blockFraction: number;
}

/** Where a scope's counter stands, as this container knows it. */
export interface AllowanceState {
  limit: number;
  /** The limit less what every container has drawn (as of this container's last draw) plus what this one still holds. */
  remaining: number;
  /** Until the window ends and the counter starts again. */
  resetMs: number;
  windowStart: number;
}

/**
 * One container's allowance of one scope's counter (a key's requests, a tenant's tokens)
 * in the current fixed window. It draws from the shared counter in blocks (a fraction of
 * the limit, or what the request needs if more) with one conditional write, and admits
 * from what it holds without any write, so a steady stream costs one write per block.
 *
 * Exactness: the shared counter never passes the limit (the draw is conditional), so the
 * allowance admitted in a window never exceeds it. What another container holds unused is
 * lost to the window: a scope can be refused while up to (containers − 1) × block is held
 * elsewhere. Real use beyond an estimate is charged when it is known ({@link charge}),
 * against the next draws, so it moves the excess to the window in which the request ends.
 */
export class WindowAllowance {
  #windowStart = Number.NEGATIVE_INFINITY;
  /** What this container holds; negative is a debt the next draw pays first. */
  #held = 0;
  /** The counter's total after this container's last draw in this window. */
  #drawn = 0;
  /** Takes run one at a time, so that concurrent requests of a container share one draw instead of each drawing a block. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly scope: string,
    private readonly resource: WindowResource,
    private readonly options: AllowanceOptions,
  ) {}

  /** Takes `amount` for a request: from what is held, else with a draw on the shared counter. False when the limit is reached. */
  take(amount: number, limit: number, now: number): Promise<boolean> {
    const taken = this.#queue.then(() => this.#take(amount, limit, now));
    this.#queue = taken.catch(() => undefined);
    return taken;
  }

  async #take(amount: number, limit: number, now: number): Promise<boolean> {
    this.#roll(now);
    if (this.#held >= amount) {
      this.#held -= amount;
      return true;
    }
    const need = amount - this.#held;
    if (need > limit) return false;
    const block = Math.max(1, Math.floor(limit * this.options.blockFraction));
    const want = Math.min(limit, Math.max(need, block));
    const windowStart = this.#windowStart;
    const draw = (value: number) =>
      this.options.store.draw({
        scope: this.scope,
        resource: this.resource,
        windowStart,
        amount: value,
        limit,
        expiresAt: windowStart + 2 * this.options.windowMs,
      });
    let granted = want;
    let result = await draw(want);
    if (!result.granted && want > need && limit - result.total >= need) {
      // Less than a block is left: take all of it if that covers this request.
      granted = limit - result.total;
      result = await draw(granted);
    }
    if (windowStart !== this.#windowStart) return result.granted; // the window turned while drawing
    this.#drawn = Math.max(this.#drawn, result.total);
    if (!result.granted) return false;
    this.#held += granted - amount;
    return true;
  }

  /** Gives back what a request took and did not use, if its window is still the current one. */
  refund(amount: number, windowStart: number): void {
    if (windowStart === this.#windowStart) this.#held += amount;
  }

  /** Charges use beyond what was taken (it has happened, so even past the limit): the next draw pays it first. */
  charge(amount: number, now: number): void {
    this.#roll(now);
    this.#held -= amount;
  }

  /** The counter as this container knows it. */
  state(limit: number, now: number): AllowanceState {
    this.#roll(now);
    return {
      limit,
      remaining: Math.max(0, Math.min(limit, limit - this.#drawn + this.#held)),
      resetMs: this.#windowStart + this.options.windowMs - now,
      windowStart: this.#windowStart,
    };
  }

  /** A new window drops what was held of the old one, but keeps a debt. */
  #roll(now: number): void {
    const start = Math.floor(now / this.options.windowMs) * this.options.windowMs;
    if (start === this.#windowStart) return;
    this.#windowStart = start;
    this.#held = Math.min(0, this.#held);
    this.#drawn = 0;
  }
}
