import type { Clock, NotAttemptedReason } from './types';

/** What a scope needs to know of an item: when it is due and whether its caller is still there. */
export interface ScopedItem {
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Stops a sleep-based timer: a constant, so that stopping builds no DOMException. */
const STOPPED = Symbol('stopped');

/**
 * Calls `fire` after `ms` of the clock's time; returns what stops it. The clock's own
 * `setTimer` when it has one (no promise, controller or listener per timer), else `sleep`.
 */
export function startTimer(clock: Clock, ms: number, fire: () => void): () => void {
  if (clock.setTimer) return clock.setTimer(ms, fire);
  const stop = new AbortController();
  clock.sleep(ms, stop.signal).then(fire, () => undefined);
  return () => stop.abort(STOPPED);
}

/**
 * Ties one wait or one backend call to the items it serves, through one AbortSignal
 * that fires when the work stops being useful:
 * - at `min(item deadlines) − offsetMs` (`reason` 'deadline'): a call is cut at the
 *   deadline itself (offset 0); a wait for a slot is cut when a call could no longer
 *   finish in time (offset = expected latency + safety);
 * - once every item's caller has aborted (`reason` 'cancelled'). One caller leaving
 *   does not abort a batch shared with others: their results still matter;
 * - after `capMs`, when given and earlier than the deadline ({@link capped}, `reason`
 *   unset): a call's share of the time left. One timer serves both.
 *
 * Always {@link dispose} it, so the timer and listeners do not outlive the work.
 */
export class CallScope {
  // Built only for work that can be stopped: most calls have a deadline, a free slot's
  // wait and a call without deadline or caller signal need none.
  #controller: AbortController | undefined;
  #stopTimer: (() => void) | undefined;
  readonly #listeners: Array<() => void> = [];
  #reason: NotAttemptedReason | undefined;
  #capped = false;

  constructor(items: readonly ScopedItem[], clock: Clock, offsetMs = 0, capMs?: number) {
    // Distinct signals: every item of one run shares its caller's signal.
    let first: AbortSignal | undefined;
    let all = items.length > 0;
    let distinct: Set<AbortSignal> | undefined;
    let earliest = Number.POSITIVE_INFINITY;
    for (const item of items) {
      if (item.deadline !== undefined && item.deadline < earliest) earliest = item.deadline;
      const signal = item.signal;
      if (signal === undefined) all = false;
      else if (first === undefined) first = signal;
      else if (signal !== first) {
        distinct ??= new Set([first]);
        distinct.add(signal);
      }
    }
    if (all) {
      let live = 0;
      for (const signal of distinct ?? [first!]) {
        if (signal.aborted) continue;
        live += 1;
        this.#listeners.push(
          CancelRelay.of(signal).subscribe(() => {
            live -= 1;
            if (live === 0) this.#abort('cancelled');
          }),
        );
      }
      if (live === 0) this.#abort('cancelled');
    }
    if (this.#reason !== undefined) return;
    const deadlineWait = earliest - offsetMs - clock.now();
    // At exactly zero a free slot is still taken first: the deadline check allows it (<=).
    if (deadlineWait < 0) {
      this.#abort('deadline');
      return;
    }
    const cap = capMs !== undefined && capMs < deadlineWait;
    const wait = cap ? capMs : deadlineWait;
    if (!Number.isFinite(wait)) return;
    this.#stopTimer = startTimer(clock, wait, () => (cap ? this.#cap(wait) : this.#abort('deadline')));
  }

  /** Aborts when the work stops being useful. */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  /** {@link signal}, or undefined when nothing can abort it (no deadline, cap or caller signal): none is built. */
  get signalIfAny(): AbortSignal | undefined {
    return this.#stopTimer || this.#listeners.length > 0 || this.#reason !== undefined ? this.signal : undefined;
  }

  /** Why the signal fired, if it did. */
  get reason(): NotAttemptedReason | undefined {
    return this.#reason;
  }

  /** Whether the signal fired at `capMs`. */
  get capped(): boolean {
    return this.#capped;
  }

  /** Stops the timer and detaches from the callers' signals. */
  dispose(): void {
    this.#stopTimer?.();
    for (const remove of this.#listeners.splice(0)) remove();
  }

  #abort(reason: NotAttemptedReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#controller ??= new AbortController();
    this.#controller.abort(
      reason === 'deadline'
        ? new DOMException('Deadline reached', 'TimeoutError')
        : new DOMException('Cancelled by the caller', 'AbortError'),
    );
  }

  #cap(capMs: number): void {
    if (this.#reason !== undefined) return;
    this.#capped = true;
    this.#controller ??= new AbortController();
    this.#controller.abort(new DOMException(`No answer within ${capMs} ms`, 'TimeoutError'));
  }
}

/**
 * One 'abort' listener per caller signal, fanned out in process. A run of thousands of
 * items shares one signal, and every wait and call of those items watches it; adding
 * each watcher to the signal itself would trip Node's listener-leak warning past 10.
 */
export class CancelRelay {
  static readonly #relays = new WeakMap<AbortSignal, CancelRelay>();
  readonly #subscribers = new Set<() => void>();

  private constructor(signal: AbortSignal) {
    signal.addEventListener(
      'abort',
      () => {
        for (const subscriber of [...this.#subscribers]) subscriber();
        this.#subscribers.clear();
      },
      { once: true },
    );
  }

  /** The relay of `signal`, created on first use and kept as long as the signal lives. */
  static of(signal: AbortSignal): CancelRelay {
    let relay = CancelRelay.#relays.get(signal);
    if (!relay) {
      relay = new CancelRelay(signal);
      CancelRelay.#relays.set(signal, relay);
    }
    return relay;
  }

  /** Calls `onAbort` once when the signal aborts; returns the unsubscribe. */
  subscribe(onAbort: () => void): () => void {
    this.#subscribers.add(onAbort);
    return () => this.#subscribers.delete(onAbort);
  }
}
