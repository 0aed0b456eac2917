/**
 * The GPU's batch slots and its one FIFO queue of items (continuous batching, as vLLM
 * does it): whenever a slot is free and items wait, the slot takes up to
 * `maxItemsPerPass` items from the head of the queue, whichever requests they belong to,
 * and runs a forward pass of `passMs + n * itemMs`. A submission settles when all of its
 * items have been through a pass. Time is real (`setTimeout`), with no polling.
 */

/** The latency-model knobs the scheduler reads before each pass (so runtime changes apply). */
export interface SchedulerSettings {
  passMs: number;
  itemMs: number;
  slots: number;
  maxItemsPerPass: number;
}

/** What one finished forward pass did. */
export interface PassRecord {
  /** Items the pass carried. */
  items: number;
  /** Nominal duration from the latency model. */
  plannedMs: number;
  /** Measured duration (timers run late under load; utilisation uses this). */
  actualMs: number;
}

/** Hooks and settings of a {@link GpuScheduler}. */
export interface GpuSchedulerOptions {
  /** Read before every pass, so `POST /_sim/config` takes effect at the next pass. */
  settings: () => SchedulerSettings;
  /** Called when a pass starts, with the number of slots now busy. */
  onPassStart?: (items: number, busySlots: number) => void;
  /** Called when a pass ends. */
  onPassEnd?: (pass: PassRecord) => void;
}

/** Raised to waiting submissions when the scheduler is closed. */
export class SchedulerClosedError extends Error {
  constructor() {
    super('the GPU simulator is shutting down');
    this.name = 'SchedulerClosedError';
  }
}

/** Raised to a submission whose `signal` aborted (its client went away). */
export class SubmissionCancelledError extends Error {
  constructor() {
    super('the client went away before the GPU finished');
    this.name = 'SubmissionCancelledError';
  }
}

/** One submission: its items are counted, not stored one by one, so big inputs stay cheap. */
interface Submission {
  undispatched: number;
  unfinished: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** The slots and the queue of a simulated GPU. */
export class GpuScheduler {
  private readonly options: GpuSchedulerOptions;
  private queue: Submission[] = [];
  private head = 0;
  private queued = 0;
  private busy = 0;
  private pumpPending = false;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Submission>();

  constructor(options: GpuSchedulerOptions) {
    this.options = options;
  }

  /** Items waiting for a slot. */
  get queuedItems(): number {
    return this.queued;
  }

  /** Slots running a pass right now. */
  get busySlots(): number {
    return this.busy;
  }

  /**
   * Queues `items` items and settles once every one of them has finished a pass.
   * Zero items settle at once. When `signal` aborts, the items still waiting leave the
   * queue (items already in a pass finish it: a pass cannot be stopped halfway).
   * @throws SchedulerClosedError if the scheduler is (or gets) closed first.
   * @throws SubmissionCancelledError if `signal` aborts first.
   */
  submit(items: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new SchedulerClosedError());
    if (signal?.aborted) return Promise.reject(new SubmissionCancelledError());
    if (items <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => this.cancel(submission);
      const submission: Submission = {
        undispatched: items,
        unfinished: items,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(submission);
      this.running.add(submission);
      this.queued += items;
      this.schedulePump();
    });
  }

  /** Takes a submission's waiting items off the queue and rejects it. */
  private cancel(submission: Submission): void {
    if (!this.running.delete(submission)) return;
    this.queued -= submission.undispatched;
    submission.undispatched = 0;
    submission.unfinished = 0;
    submission.reject(new SubmissionCancelledError());
  }

  /** Starts passes on free slots, e.g. after `slots` was raised at run time. */
  poke(): void {
    this.schedulePump();
  }

  /** Cancels every pass and rejects every waiting submission. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const submission of this.running) submission.reject(new SchedulerClosedError());
    this.running.clear();
    this.queue = [];
    this.head = 0;
    this.queued = 0;
    this.busy = 0;
  }

  /**
   * Arrivals pump on the next turn of the event loop rather than at once, so requests that
   * land together (one `Promise.all`, sockets read in one poll) share a pass the way
   * they would on a GPU that is between passes, instead of the first one taking a slot alone.
   */
  private schedulePump(): void {
    if (this.pumpPending || this.closed) return;
    this.pumpPending = true;
    setImmediate(() => {
      this.pumpPending = false;
      this.pump();
    });
  }

  private pump(): void {
    const settings = this.options.settings();
    while (!this.closed && this.busy < settings.slots && this.queued > 0) {
      this.startPass(settings);
    }
  }

  private startPass(settings: SchedulerSettings): void {
    const parts: Array<[Submission, number]> = [];
    let items = 0;
    while (items < settings.maxItemsPerPass && this.head < this.queue.length) {
      const submission = this.queue[this.head] as Submission;
      const take = Math.min(submission.undispatched, settings.maxItemsPerPass - items);
      submission.undispatched -= take;
      items += take;
      if (take > 0) parts.push([submission, take]);
      if (submission.undispatched === 0) this.head += 1;
    }
    this.queued -= items;
    this.compactQueue();
    this.busy += 1;
    this.options.onPassStart?.(items, this.busy);

    const plannedMs = settings.passMs + items * settings.itemMs;
    const startedAt = performance.now();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.busy -= 1;
      this.options.onPassEnd?.({ items, plannedMs, actualMs: performance.now() - startedAt });
      for (const [submission, count] of parts) {
        if (!this.running.has(submission)) continue;
        submission.unfinished -= count;
        if (submission.unfinished === 0) {
          this.running.delete(submission);
          submission.resolve();
        }
      }
      // A freed slot takes waiting work at once, as a GPU would between passes.
      this.pump();
    }, plannedMs);
    this.timers.add(timer);
  }

  /** Drops consumed entries now and then, so the queue never shifts on every pass. */
  private compactQueue(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
  }
}
