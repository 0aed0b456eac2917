import { fitsInBatch, type BatchFill, type BatchLimits, type Packable } from './BatchPacker';
import { startTimer } from './CallScope';
import type { Clock } from './types';

/** How a queue is wired. */
export interface BatchQueueOptions<T> {
  clock: Clock;
  /** Longest the oldest item of a batch waits before the batch leaves anyway. */
  maxWaitMs: number;
  /** The limits a route's next batch should fill to; `undefined` when not known yet. */
  limitsFor: (route: string) => BatchLimits | undefined;
  /** Receives each batch as it leaves the queue. */
  onBatch: (batch: T[]) => void;
  /** Which items may share a batch: by default those of one route. */
  keyOf?: (item: T) => string;
}

interface OpenBatch<T> {
  items: T[];
  fill: BatchFill;
  limits: BatchLimits | undefined;
  /** Stops the batch's max-wait timer once it has left. */
  stopTimer: () => void;
}

/**
 * Items arriving over time, waiting per route (or per `keyOf`: the core keys by route,
 * tenant and class, so one call carries one tenant's items of one class) for their batch
 * to fill. A batch leaves
 * when it reaches its route's item or token limit, when its oldest item has waited
 * `maxWaitMs`, or on {@link flush}. Waiting trades a little latency for fuller calls,
 * which is where a GPU backend's throughput comes from.
 *
 * When a route's limits are not known yet (no batch of it dispatched), its first batch
 * fills until max wait or flush and the dispatcher cuts it to the backend it resolves.
 * The queue does not ask the resolver for limits itself: resolving can have effects (a
 * half-open circuit lets its one probe through), so only a real dispatch resolves.
 */
export class BatchQueue<T extends Packable> {
  readonly #open = new Map<string, OpenBatch<T>>();

  constructor(private readonly options: BatchQueueOptions<T>) {}

  /** Items waiting in open batches. */
  get pending(): number {
    let count = 0;
    for (const batch of this.#open.values()) count += batch.items.length;
    return count;
  }

  /** Queues an item; its batch leaves at once if the item filled it. */
  add(item: T): void {
    const key = this.options.keyOf?.(item) ?? item.route;
    let batch = this.#open.get(key);
    if (batch?.limits && !fitsInBatch(batch.fill, item, batch.limits)) {
      this.#release(key);
      batch = undefined;
    }
    if (!batch) {
      const limits = this.options.limitsFor(item.route);
      // An item that fills a batch on its own (chat: one per call) leaves at once, without a max-wait timer.
      if (limits && (limits.maxBatchItems <= 1 || item.estimatedTokens >= limits.maxBatchTokens)) {
        this.options.onBatch([item]);
        return;
      }
      batch = this.#openBatch(key, limits);
    }
    batch.items.push(item);
    batch.fill.items += 1;
    batch.fill.tokens += item.estimatedTokens;
    const limits = batch.limits;
    if (limits && (batch.fill.items >= limits.maxBatchItems || batch.fill.tokens >= limits.maxBatchTokens)) {
      this.#release(key);
    }
  }

  /** Sends every open batch now, whatever its fill. */
  flush(): void {
    for (const route of [...this.#open.keys()]) this.#release(route);
  }

  #openBatch(key: string, limits: BatchLimits | undefined): OpenBatch<T> {
    const batch: OpenBatch<T> = { items: [], fill: { items: 0, tokens: 0 }, limits, stopTimer: () => undefined };
    this.#open.set(key, batch);
    batch.stopTimer = startTimer(this.options.clock, this.options.maxWaitMs, () => {
      if (this.#open.get(key) === batch) this.#release(key);
    });
    return batch;
  }

  #release(key: string): void {
    const batch = this.#open.get(key);
    if (!batch) return;
    this.#open.delete(key);
    batch.stopTimer();
    if (batch.items.length > 0) this.options.onBatch(batch.items);
  }
}
