import { BatchDispatcher } from './BatchDispatcher';
import { BatchQueue } from './BatchQueue';
import { resolveTuning } from './constants';
import { resolveFairShare } from './FairShare';
import { LatencyEstimator } from './LatencyEstimator';
import { PendingItem } from './PendingItem';
import { RetryBudget } from './RetryBudget';
import { RetryPolicy } from './RetryPolicy';
import { systemClock } from './systemClock';
import type { BackendResolver, BatchingOptions, BatchingStats, BatchItem, Outcome, RunOptions } from './types';

/**
 * The batching core: groups requests by route, packs them into batches under each
 * backend's item and token budgets and a maximum wait, dispatches them with adaptive
 * concurrency per backend, retries with backoff, jitter and a retry budget, isolates
 * poison items by splitting, stops starting work it cannot finish before the deadline,
 * and returns exactly one {@link Outcome} per item.
 *
 * Outcomes, when things go wrong:
 * - `not_attempted` (reason `deadline` or `cancelled`): no backend ever received the
 *   item; nothing was spent on it and it can be handed on unchanged.
 * - `failed`, `retryable: true`: it was sent at least once and then ran out of
 *   attempts, retry budget or time (error: the last retryable error it met), or its
 *   call was cut at the deadline (`deadline_exceeded`) or by the caller (`cancelled`).
 *   Resubmitting later is worth it, but a backend may have done part of the work.
 * - `failed`, `retryable: false`: the backend refused the item itself.
 *
 * An outcome's `attempts` counts the backend calls the item was part of. `maxAttempts`
 * bounds the first call plus the retries after retryable failures; the extra calls made
 * by splitting a rejected batch to find its poison item are not counted against it.
 *
 * The deadline check before each call is `now + estimate + deadlineSafetyMs <= deadline`,
 * with the estimate from {@link LatencyEstimator}; calls in flight are aborted at the
 * deadline itself.
 *
 * Who goes first when a backend is contended: each call carries its items' tenant and
 * class (`RunOptions.tenantId`, `priority`), and each backend's limiter gives a freed slot
 * to real-time calls before batch ones and, within a class, to the tenant furthest below
 * its weighted share ({@link FairQueue}, configured by `BatchingOptions.fairShare`).
 *
 * The retry budget and the adaptive limits live as long as the core: build one per
 * process (module scope in a Lambda) so they carry from one invocation to the next.
 */
export class BatchingCore<I, O> {
  readonly #queue: BatchQueue<PendingItem<I, O>>;
  readonly #dispatcher: BatchDispatcher<I, O>;
  readonly #budget: RetryBudget;

  constructor(resolver: BackendResolver<I, O>, options: BatchingOptions = {}) {
    const tuning = resolveTuning(options);
    const clock = options.clock ?? systemClock;
    this.#budget = new RetryBudget({ ratio: tuning.retryBudgetRatio, minimum: tuning.minRetryBudget });
    this.#dispatcher = new BatchDispatcher<I, O>({
      resolver,
      clock,
      tuning,
      policy: new RetryPolicy({
        baseBackoffMs: tuning.baseBackoffMs,
        maxBackoffMs: tuning.maxBackoffMs,
        random: options.random ?? Math.random,
      }),
      budget: this.#budget,
      estimator: new LatencyEstimator(),
      observer: options.observer,
      fairShare: resolveFairShare(options.fairShare),
      fleetBudget: options.fleetBudget,
    });
    this.#queue = new BatchQueue<PendingItem<I, O>>({
      clock,
      maxWaitMs: tuning.maxWaitMs,
      limitsFor: (route) => this.#dispatcher.limitsFor(route),
      onBatch: (batch) => void this.#dispatcher.dispatch(batch),
      keyOf: (item) => item.queueKey,
    });
  }

  /**
   * Runs a set of items at once and resolves with one outcome per item, in input order.
   * The items are sent without waiting for `maxWaitMs`. Throws if two items share an id,
   * since their outcomes could not be told apart.
   */
  run(items: readonly BatchItem<I>[], options: RunOptions = {}): Promise<Outcome<O>[]> {
    const seen = new Set<string>();
    for (const item of items) {
      if (seen.has(item.id)) throw new Error(`Duplicate item id '${item.id}' in one run: outcomes are matched by id`);
      seen.add(item.id);
    }
    const { onSettled } = options;
    const outcomes = items.map((item) => {
      const outcome = this.submit(item, options);
      return onSettled ? outcome.then((settled) => (onSettled(settled), settled)) : outcome;
    });
    this.flush();
    return Promise.all(outcomes);
  }

  /**
   * Queues one item arriving on its own; it shares a batch with other items of its
   * route that arrive within `maxWaitMs` or until the batch is full. Resolves with its
   * outcome, never rejects.
   */
  submit(item: BatchItem<I>, options: RunOptions = {}): Promise<Outcome<O>> {
    const pending = new PendingItem<I, O>(item, options);
    this.#budget.recordSubmitted(1);
    if (pending.cancelled) pending.abandon('cancelled');
    else this.#queue.add(pending);
    return pending.outcome;
  }

  /** Sends every batch still waiting to fill, now. */
  flush(): void {
    this.#queue.flush();
  }

  /** Counters since the core was built, and each backend's current concurrency limit. */
  stats(): BatchingStats {
    return { ...this.#dispatcher.counters, limits: this.#dispatcher.limits() };
  }
}
