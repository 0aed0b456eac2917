import { SchedulerClosedError, SubmissionCancelledError } from './GpuScheduler';

/**
 * Text generation as vLLM (and its peers) serve it, by continuous batching. Up to
 * `maxNumSeqs` sequences run at once; the rest wait in one FIFO queue. The engine works
 * in steps, one after the other. Each step spends a budget of `maxNumBatchedTokens`
 * tokens: first one decode token for every running sequence whose prompt is done, then
 * one prefill chunk of prompt tokens for the sequences still reading their prompts (the
 * oldest first), admitting waiting sequences while there is room and budget. A step costs
 *
 *   stepMs + decoding × decodeMsPerSeq + prefillTokens × prefillMsPerToken
 *
 * (and at least `1000 / tokensPerSecond` ms when `tokensPerSecond` is set), so the bigger
 * the batch, the slower each step and the more tokens it yields: throughput rises with
 * concurrency, and so does each sequence's time per token. At the end of a step every
 * decoding sequence has one more token, and a sequence whose prompt was finished in it has
 * its first. A sequence leaves when it has all its completion tokens, or when it is stopped
 * (its client went away). Decode tokens are never cut for lack of budget (vLLM schedules
 * decodes first); only the prefill chunk shrinks.
 *
 * Time is real. Steps are timed against a clock of planned step ends, so a timer that
 * fires a little late makes the next step shorter (up to {@link MAX_CATCH_UP_MS}): the
 * engine keeps the pace its knobs promise rather than the pace of the event loop.
 */

/** The knobs the engine reads before each step (so runtime changes apply at the next one). */
export interface BatcherSettings {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  stepMs: number;
  decodeMsPerSeq: number;
  prefillMsPerToken: number;
  /** 0: no floor on a step's duration. */
  tokensPerSecond: number;
}

/** What one finished step did. */
export interface StepRecord {
  /** Sequences that decoded a token in the step. */
  decoded: number;
  /** Prompt tokens read in the step's prefill chunk. */
  prefillTokens: number;
  /** Sequences running (decoding or in prefill) during the step. */
  running: number;
  plannedMs: number;
  actualMs: number;
}

/** How a sequence ended. */
export type SequenceOutcome = 'complete' | 'cancelled';

/** A late timer is made up for by shortening the following steps, by at most this much. */
export const MAX_CATCH_UP_MS = 25;

/** One generation in the engine. */
export class Sequence {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Prompt tokens not yet read (every prompt has at least one). */
  prefillLeft: number;
  /** Completion tokens generated so far. */
  produced = 0;
  state: 'waiting' | 'running' | 'done' = 'waiting';
  /** Settles when the first token is out (or, for an answer of no tokens, when the prompt is read). */
  readonly firstToken: Promise<void>;
  /** Settles when the sequence leaves the engine; never rejects. */
  readonly done: Promise<SequenceOutcome>;
  /** Called after every step that gave this sequence tokens, with the total so far. */
  onProduce: ((produced: number) => void) | undefined;
  private settleFirst!: { resolve: () => void; reject: (error: Error) => void };
  private settleDone!: (outcome: SequenceOutcome) => void;
  private firstSettled = false;
  private waiters: Array<() => void> = [];

  constructor(promptTokens: number, completionTokens: number) {
    this.promptTokens = promptTokens;
    this.completionTokens = completionTokens;
    this.prefillLeft = Math.max(1, promptTokens);
    this.firstToken = new Promise<void>((resolve, reject) => {
      this.settleFirst = { resolve, reject };
    });
    // Nobody may be listening when a sequence is stopped before its first token.
    this.firstToken.catch(() => undefined);
    this.done = new Promise<SequenceOutcome>((resolve) => {
      this.settleDone = resolve;
    });
  }

  /** Resolves at the next step that gives this sequence tokens, or when it ends. */
  next(): Promise<void> {
    if (this.state === 'done') return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** @internal */
  advanced(): void {
    if (!this.firstSettled && this.prefillLeft === 0) {
      this.firstSettled = true;
      this.settleFirst.resolve();
    }
    this.onProduce?.(this.produced);
    this.wake();
  }

  /** @internal */
  finish(outcome: SequenceOutcome, error?: Error): void {
    if (this.state === 'done') return;
    this.state = 'done';
    if (!this.firstSettled) {
      this.firstSettled = true;
      if (outcome === 'complete') this.settleFirst.resolve();
      else this.settleFirst.reject(error ?? new SubmissionCancelledError());
    }
    this.settleDone(outcome);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Hooks and settings of a {@link ContinuousBatcher}. */
export interface ContinuousBatcherOptions {
  settings: () => BatcherSettings;
  onStep?: (step: StepRecord) => void;
  /** A sequence generated all its tokens. */
  onFinished?: (sequence: Sequence) => void;
}

/** The generation engine of a simulated GPU server. */
export class ContinuousBatcher {
  private readonly options: ContinuousBatcherOptions;
  private waiting: Sequence[] = [];
  private head = 0;
  private waitingCount = 0;
  private running: Sequence[] = [];
  /** Cancels the step in progress; undefined between steps. */
  private timer: (() => void) | undefined;
  private stepPending = false;
  /** Planned end of the last step, on the `performance.now()` clock; null when idle. */
  private plannedEnd: number | null = null;
  private closed = false;

  constructor(options: ContinuousBatcherOptions) {
    this.options = options;
  }

  /** Sequences waiting for room. */
  get waitingSequences(): number {
    return this.waitingCount;
  }

  /** Sequences in the batch (decoding or reading their prompts). */
  get runningSequences(): number {
    return this.running.length;
  }

  /**
   * Queues a generation of `completionTokens` tokens after a prompt of `promptTokens`.
   * When `signal` aborts, the sequence leaves at once (cancelled), wherever it is.
   * @throws SchedulerClosedError if the engine is closed.
   * @throws SubmissionCancelledError if `signal` already aborted.
   */
  add(promptTokens: number, completionTokens: number, signal?: AbortSignal): Sequence {
    if (this.closed) throw new SchedulerClosedError();
    if (signal?.aborted) throw new SubmissionCancelledError();
    const sequence = new Sequence(promptTokens, completionTokens);
    if (signal) {
      const onAbort = (): void => this.stop(sequence);
      signal.addEventListener('abort', onAbort, { once: true });
      void sequence.done.then(() => signal.removeEventListener('abort', onAbort));
    }
    this.waiting.push(sequence);
    this.waitingCount += 1;
    this.schedule();
    return sequence;
  }

  /** Takes a sequence out of the engine (its client went away); it ends `cancelled`. */
  stop(sequence: Sequence): void {
    if (sequence.state === 'done') return;
    if (sequence.state === 'waiting') this.waitingCount -= 1;
    else this.running = this.running.filter((candidate) => candidate !== sequence);
    sequence.finish('cancelled');
  }

  /** Starts a step if work waits, e.g. after `maxNumSeqs` was raised at run time. */
  poke(): void {
    this.schedule();
  }

  /** Ends every sequence; those not yet at their first token fail with {@link SchedulerClosedError}. */
  close(): void {
    this.closed = true;
    this.timer?.();
    this.timer = undefined;
    const all = [...this.running, ...this.waiting.slice(this.head)];
    this.running = [];
    this.waiting = [];
    this.head = 0;
    this.waitingCount = 0;
    for (const sequence of all) sequence.finish('cancelled', new SchedulerClosedError());
  }

  /**
   * An idle engine starts its first step on the next turn of the event loop, so requests
   * that land together share it, as on a server between steps.
   */
  private schedule(): void {
    if (this.closed || this.timer || this.stepPending) return;
    if (this.running.length === 0 && this.waitingCount === 0) return;
    this.stepPending = true;
    setImmediate(() => {
      this.stepPending = false;
      this.step();
    });
  }

  private nextWaiting(): Sequence | undefined {
    while (this.head < this.waiting.length) {
      const sequence = this.waiting[this.head] as Sequence;
      this.head += 1;
      if (sequence.state === 'waiting') {
        if (this.head > 1024 && this.head * 2 > this.waiting.length) {
          this.waiting = this.waiting.slice(this.head);
          this.head = 0;
        }
        return sequence;
      }
    }
    this.waiting = [];
    this.head = 0;
    return undefined;
  }

  private step(): void {
    if (this.closed || this.timer) return;
    const settings = this.options.settings();
    let budget = settings.maxNumBatchedTokens;
    const decoding = this.running.filter((sequence) => sequence.prefillLeft === 0);
    budget = Math.max(0, budget - decoding.length);
    const chunk: Array<[Sequence, number]> = [];
    let prefillTokens = 0;
    const read = (sequence: Sequence): void => {
      const take = Math.min(sequence.prefillLeft, budget);
      budget -= take;
      prefillTokens += take;
      chunk.push([sequence, take]);
    };
    for (const sequence of this.running) if (sequence.prefillLeft > 0 && budget > 0) read(sequence);
    while (budget > 0 && this.running.length < settings.maxNumSeqs && this.waitingCount > 0) {
      const sequence = this.nextWaiting();
      if (!sequence) break;
      this.waitingCount -= 1;
      sequence.state = 'running';
      this.running.push(sequence);
      read(sequence);
    }
    if (decoding.length === 0 && chunk.length === 0) {
      this.plannedEnd = null;
      return;
    }
    const running = this.running.length;
    const plannedMs = Math.max(
      settings.tokensPerSecond > 0 ? 1000 / settings.tokensPerSecond : 0,
      settings.stepMs + decoding.length * settings.decodeMsPerSeq + prefillTokens * settings.prefillMsPerToken,
    );
    const startedAt = performance.now();
    const base = this.plannedEnd === null ? startedAt : Math.max(this.plannedEnd, startedAt - MAX_CATCH_UP_MS);
    this.plannedEnd = base + plannedMs;
    const end = (): void => {
      this.timer = undefined;
      this.endStep({ decoding, chunk, record: { decoded: decoding.length, prefillTokens, running, plannedMs, actualMs: 0 }, startedAt });
    };
    const delay = this.plannedEnd - startedAt;
    // A step that is already due ends on the next turn of the loop (a timer would wait 1 ms at least).
    if (delay >= 1) {
      const timeout = setTimeout(end, delay);
      this.timer = () => clearTimeout(timeout);
    } else {
      const immediate = setImmediate(end);
      this.timer = () => clearImmediate(immediate);
    }
  }

  private endStep(step: { decoding: Sequence[]; chunk: Array<[Sequence, number]>; record: StepRecord; startedAt: number }): void {
    const touched = new Set<Sequence>();
    for (const sequence of step.decoding) {
      if (sequence.state !== 'running') continue;
      sequence.produced += 1;
      touched.add(sequence);
    }
    for (const [sequence, take] of step.chunk) {
      if (sequence.state !== 'running') continue;
      sequence.prefillLeft -= take;
      if (sequence.prefillLeft === 0) {
        if (sequence.completionTokens > 0) sequence.produced = 1;
        touched.add(sequence);
      }
    }
    const finished: Sequence[] = [];
    for (const sequence of touched) {
      if (sequence.prefillLeft === 0 && sequence.produced >= sequence.completionTokens) finished.push(sequence);
    }
    if (finished.length > 0) {
      const leaving = new Set(finished);
      this.running = this.running.filter((sequence) => !leaving.has(sequence));
    }
    this.options.onStep?.({ ...step.record, actualMs: performance.now() - step.startedAt });
    for (const sequence of touched) sequence.advanced();
    for (const sequence of finished) {
      this.options.onFinished?.(sequence);
      sequence.finish('complete');
    }
    if (this.running.length === 0 && this.waitingCount === 0) {
      this.plannedEnd = null;
      return;
    }
    this.step();
  }
}
