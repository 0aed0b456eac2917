import { BackendError } from '../errors/backendErrors';
import type { PlatformError } from '../errors/PlatformError';
import type { Usage } from '../domain/inference';
import { CancelledError, DeadlineExceededError } from './errors';
import type { Priority } from './FairShare';
import type { BatchItem, NotAttemptedReason, Outcome, RunOptions } from './types';

/**
 * One item on its way through the core: the caller's item, its deadline and signal, what
 * has happened to it so far, and the promise its caller awaits. Internal to the core.
 *
 * `calls` counts the backend calls the item was part of and is reported as the
 * outcome's `attempts`; `retries` counts the retries granted after retryable failures
 * and is what `maxAttempts` bounds. They differ when a rejected batch is split: the
 * halves are new calls for the items but not retries (see {@link BatchDispatcher}).
 */
export class PendingItem<I, O> {
  readonly id: string;
  readonly route: string;
  readonly input: I;
  readonly estimatedTokens: number;
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly tenantId: string;
  readonly priority: Priority;
  /** {@link RunOptions.completesBy}. */
  readonly completesBy: number | undefined;
  /** Backend calls this item was part of. */
  calls = 0;
  /** Retries granted after retryable failures. */
  retries = 0;
  /** The last retryable error the item met: reported if it ends without a value. */
  lastError: PlatformError | undefined;
  /** Resolves with the item's one outcome. */
  readonly outcome: Promise<Outcome<O>>;
  #settled = false;
  #resolve!: (outcome: Outcome<O>) => void;

  constructor(item: BatchItem<I>, options: RunOptions = {}) {
    this.id = item.id;
    this.route = item.route;
    this.input = item.input;
    this.estimatedTokens = item.estimatedTokens;
    this.deadline = options.deadline;
    this.signal = options.signal;
    this.tenantId = options.tenantId ?? '';
    this.priority = options.priority ?? 'realtime';
    this.completesBy = options.completesBy;
    this.outcome = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** Items wait in one open batch only with items of the same route, tenant and class. */
  get queueKey(): string {
    return `${this.route}\u0000${this.priority}\u0000${this.tenantId}`;
  }

  /** Whether the item already has its outcome. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Whether the item's caller has gone. */
  get cancelled(): boolean {
    return this.signal?.aborted === true;
  }

  /** Whether a call starting at `start` and lasting `durationMs` ends `safetyMs` before the deadline. */
  fitsBeforeDeadline(start: number, durationMs: number, safetyMs: number): boolean {
    return this.deadline === undefined || start + durationMs + safetyMs <= this.deadline;
  }

  /** Ends the item with its value. */
  succeed(value: O, usage: Usage, backendId: string): void {
    this.#settle({ status: 'succeeded', id: this.id, value, usage, attempts: this.calls, backendId });
  }

  /** Ends the item as failed with `error`; its `retryable` tells the caller whether to resubmit later. */
  fail(error: PlatformError): void {
    this.#settle({
      status: 'failed',
      id: this.id,
      error: {
        code: error.code,
        message: error.message,
        retryable: error.retryable,
        httpStatus: error.status,
        ...(error instanceof BackendError && error.unanswered ? { unanswered: true } : {}),
      },
      attempts: this.calls,
    });
  }

  /**
   * Ends the item because time ran out or its caller left before it could be tried
   * (again). An item no backend has seen is `not_attempted`: the caller knows nothing
   * was spent on it and can hand it on unchanged. An item that was sent ends `failed`
   * and retryable, with the last retryable error it met (or a deadline/cancel error when
   * it had none), because a backend may have done, and billed, part of the work.
   */
  abandon(reason: NotAttemptedReason): void {
    if (this.calls === 0) {
      this.#settle({ status: 'not_attempted', id: this.id, reason });
      return;
    }
    this.fail(this.lastError ?? (reason === 'deadline' ? new DeadlineExceededError() : new CancelledError()));
  }

  #settle(outcome: Outcome<O>): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(outcome);
  }
}
