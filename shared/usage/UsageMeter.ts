import { usageDay } from './usageDays';
import type { UsageRecord, UsageSample, UsageStore } from './types';

/** When a meter writes what it has counted. */
export interface UsageFlushPolicy {
  /** Write once this long has passed since the last write (0: after every sample). */
  intervalMs: number;
  /** ... or once this many requests are waiting, whichever comes first. */
  maxRequests: number;
}

/**
 * Counts usage in memory and writes it in batches: one atomic add per (day, tenant,
 * model) per flush, never one write per request. A flush starts when a sample arrives
 * and the policy says it is due; {@link settle} waits for one in flight (a handler calls
 * it before it returns, since a frozen Lambda runs no timers). A flush that fails keeps
 * its counts for the next one. What a container counted but never flushed (it died, or
 * was never invoked again) is lost: at most `intervalMs` or `maxRequests` worth.
 */
export class UsageMeter {
  #pending = new Map<string, UsageRecord>();
  #pendingRequests = 0;
  #lastFlush: number;
  #flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<UsageStore, 'add'>,
    private readonly policy: UsageFlushPolicy,
    private readonly options: { now?: () => number; onError?: (error: unknown) => void } = {},
  ) {
    this.#lastFlush = this.now();
  }

  /** Counts a sample; starts a flush when one is due. Never throws. */
  record(sample: UsageSample): void {
    if (sample.requests === 0 && sample.inputTokens === 0 && sample.outputTokens === 0) return;
    this.#add({ day: usageDay(sample.at), ...sample });
    if (this.isDue()) void this.flush();
  }

  #add(counts: UsageRecord): void {
    const key = `${counts.day}\n${counts.tenantId}\n${counts.model}`;
    const entry = this.#pending.get(key) ?? {
      day: counts.day,
      tenantId: counts.tenantId,
      model: counts.model,
      requests: 0,
      inputTokens: 0,
      outputTokens: 0,
    };
    entry.requests += counts.requests;
    entry.inputTokens += counts.inputTokens;
    entry.outputTokens += counts.outputTokens;
    this.#pending.set(key, entry);
    this.#pendingRequests += counts.requests;
  }

  /** Whether the policy says the counts should be written now. */
  isDue(): boolean {
    if (this.#pending.size === 0) return false;
    return this.now() - this.#lastFlush >= this.policy.intervalMs || this.#pendingRequests >= this.policy.maxRequests;
  }

  /** Writes everything counted so far (after any flush in flight). Never throws: a failed write is kept for the next. */
  flush(): Promise<void> {
    const previous = this.#flushing ?? Promise.resolve();
    const next = previous.then(() => this.#write());
    this.#flushing = next;
    void next.finally(() => {
      if (this.#flushing === next) this.#flushing = undefined;
    });
    return next;
  }

  /** Waits for a flush in flight, and flushes if one is due. */
  async settle(): Promise<void> {
    if (this.isDue()) await this.flush();
    else await this.#flushing;
  }

  async #write(): Promise<void> {
    if (this.#pending.size === 0) return;
    const records = [...this.#pending.values()];
    this.#pending = new Map();
    this.#pendingRequests = 0;
    this.#lastFlush = this.now();
    // One add per record, so a failure keeps only the counts that were not written.
    const written = await Promise.allSettled(records.map((record) => this.store.add([record])));
    written.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      this.#add(records[i]!);
      this.options.onError?.(result.reason);
    });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
