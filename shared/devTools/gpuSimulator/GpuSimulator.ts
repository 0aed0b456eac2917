import { GpuScheduler, SchedulerClosedError, SubmissionCancelledError } from './GpuScheduler';
import { SimulatorError } from './errors';
import { FaultInjector } from './faults';
import { DEFAULT_SIMULATOR_CONFIG, applyConfigPatch, maxItemsPerSecond, type Face, type SimulatorConfig } from './SimulatorConfig';
import { SimulatorStats, type SimulatorStatsSnapshot } from './SimulatorStats';

/** The longest delay a Node timer takes (about 24.8 days): a hung request's wait, for all practical purposes for ever. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The simulated GPU server without its HTTP skin: configuration, the scheduler, fault
 * injection and stats. Faces describe a request as {@link GpuWork}; this decides its fate
 * on arrival (poison, overload, faults), queues its items and waits for the passes. Chat
 * answers then decode at `tokensPerSecond` ({@link Generation}); a client that goes away
 * (its abort signal) leaves the queue or stops decoding, and is counted as cancelled.
 */

/** One request as the GPU sees it. */
export interface GpuWork {
  face: Face;
  /** Stats key, e.g. `chat.completions`, `converse`. */
  route: string;
  /** Items the request puts on the queue. */
  items: number;
  promptTokens: number;
  completionTokens: number;
  /** Every input text, searched for the poison marker. */
  texts: readonly string[];
}

/** What became of a generation: every token out, the client gone, or broken by `midStreamErrorRate`. */
export type GenerationOutcome = 'complete' | 'cancelled' | 'broken';

/**
 * A chat answer being decoded after its first pass: {@link run} emits its completion
 * tokens at `tokensPerSecond` and stops as soon as the client goes away.
 */
export interface Generation {
  /**
   * Emits tokens `[from, to)` as they are generated (several at once when the rate allows,
   * all at once at `tokensPerSecond` 0). Resolves with the outcome; never rejects.
   */
  run(emit?: (from: number, to: number) => void): Promise<GenerationOutcome>;
}

/** The core of a simulator. */
export class GpuSimulator {
  private current: SimulatorConfig;
  private readonly scheduler: GpuScheduler;
  private readonly statistics: SimulatorStats;
  private readonly faults: FaultInjector;
  private readonly sleeps = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  /** @param now clock in epoch milliseconds, shared by stats and the token windows. */
  constructor(config: SimulatorConfig = DEFAULT_SIMULATOR_CONFIG, now: () => number = Date.now) {
    this.current = structuredClone(config);
    this.statistics = new SimulatorStats(now);
    this.faults = new FaultInjector(config.seed, now);
    this.scheduler = new GpuScheduler({
      settings: () => this.current,
      onPassStart: (_items, busy) => this.statistics.recordPassStart(busy),
      onPassEnd: (pass) => this.statistics.recordPass(pass),
    });
  }

  /** A copy of the current configuration. */
  get config(): SimulatorConfig {
    return structuredClone(this.current);
  }

  /**
   * Applies a partial update at run time: latency knobs take effect at the next pass, a
   * new seed restarts the fault streams.
   * @throws SimulatorConfigError when the patch does not validate.
   */
  updateConfig(patch: unknown): SimulatorConfig {
    const next = applyConfigPatch(this.current, patch);
    const reseed = next.seed !== this.current.seed;
    this.current = next;
    if (reseed) this.faults.reset(next.seed);
    this.scheduler.poke();
    return this.config;
  }

  /** The counters, with the live queue state and the throughput ceiling. */
  stats(): SimulatorStatsSnapshot {
    return this.statistics.snapshot({
      slots: this.current.slots,
      queuedItems: this.scheduler.queuedItems,
      busySlots: this.scheduler.busySlots,
      maxItemsPerSecond: maxItemsPerSecond(this.current),
    });
  }

  /** Zeroes the stats, empties the token windows and replays the fault streams from the seed. */
  reset(): void {
    this.statistics.reset();
    this.faults.reset(this.current.seed);
  }

  /** Counts a request that reached a route of `face`. */
  recordArrival(face: Face, route: string): void {
    this.statistics.recordArrival(face, route);
  }

  /** Counts the status a request was answered with. */
  recordResponse(face: Face, status: number): void {
    this.statistics.recordResponse(face, status);
  }

  /**
   * Runs one request through the GPU: settles when its items are done (and any injected
   * slowness has passed). Counts its completion tokens as generated at once.
   * @throws SimulatorError for poison, overload, injected errors and throttles; `cancelled`
   * when `signal` aborts while its items wait.
   */
  async process(work: GpuWork, signal?: AbortSignal): Promise<void> {
    const decision = await this.admit(work, signal);
    this.statistics.recordTokens(work.face, work.promptTokens, work.completionTokens);
    if (decision.slowMs > 0) {
      this.statistics.recordFault(work.face, 'slowed');
      await this.sleep(decision.slowMs);
    }
  }

  /**
   * Starts a chat answer of `work.completionTokens` tokens: decides its fate, queues it and
   * waits for the pass that yields its first token. Errors come from here, before any
   * byte of an answer; what follows (the {@link Generation}) only fails mid-stream, when
   * `stream` is set and `midStreamErrorRate` says so.
   * @throws SimulatorError as {@link process} does.
   */
  async begin(work: GpuWork, options: { signal: AbortSignal; stream: boolean }): Promise<Generation> {
    const decision = await this.admit(work, options.signal);
    this.statistics.recordTokens(work.face, work.promptTokens, 0);
    if (decision.slowMs > 0) {
      this.statistics.recordFault(work.face, 'slowed');
      await this.sleep(decision.slowMs, options.signal);
    }
    if (options.stream) this.statistics.recordFault(work.face, 'streamed');
    const breaks = options.stream && this.faults.breaksMidStream(work.face, this.current[work.face]);
    return { run: (emit) => this.decode(work, options.signal, breaks, emit) };
  }

  private async decode(
    work: GpuWork,
    signal: AbortSignal,
    breaks: boolean,
    emit: (from: number, to: number) => void = () => undefined,
  ): Promise<GenerationOutcome> {
    const total = work.completionTokens;
    const rate = this.current.tokensPerSecond;
    let produced = 0;
    const produce = (upTo: number): void => {
      const to = Math.min(upTo, total);
      if (to <= produced) return;
      this.statistics.recordTokens(work.face, 0, to - produced);
      const from = produced;
      produced = to;
      emit(from, to);
    };
    const startedAt = performance.now();
    while (produced < total) {
      if (signal.aborted) {
        this.statistics.recordCancelled(work.face, total - produced);
        return 'cancelled';
      }
      if (produced === 0) {
        produce(1);
        if (breaks) {
          this.statistics.recordFault(work.face, 'midStreamErrors');
          return 'broken';
        }
        continue;
      }
      if (rate <= 0) {
        produce(total);
        continue;
      }
      const due = 1 + Math.floor(((performance.now() - startedAt) * rate) / 1000);
      if (due > produced) {
        produce(due);
        continue;
      }
      await this.sleep(Math.max(1, (produced * 1000) / rate - (performance.now() - startedAt)), signal);
      if (this.closed) {
        this.statistics.recordCancelled(work.face, total - produced);
        return 'cancelled';
      }
    }
    return 'complete';
  }

  /** Poison, overload and faults on arrival, then the queue and the pass. */
  private async admit(work: GpuWork, signal?: AbortSignal): Promise<{ slowMs: number }> {
    const config = this.current;
    const marker = config.poisonMarker;
    if (marker !== '' && work.texts.some((text) => text.includes(marker))) {
      this.statistics.recordFault(work.face, 'poisoned');
      throw new SimulatorError('poison', `input contains the poison marker ${JSON.stringify(marker)}`, {
        code: 'poison_input',
      });
    }
    if (config.maxQueueItems > 0 && this.scheduler.queuedItems + work.items > config.maxQueueItems) {
      this.statistics.recordFault(work.face, 'overloaded');
      throw new SimulatorError('unavailable', `the GPU queue is full (${this.scheduler.queuedItems} items waiting)`, {
        code: 'overloaded',
      });
    }
    const decision = this.faults.decide(work.face, config[work.face], work.promptTokens + work.completionTokens);
    if (decision.kind === 'hang') {
      // A hung server: the request is held, unanswered, until its client gives up (or the
      // simulator closes); what is thrown then reaches nobody.
      this.statistics.recordFault(work.face, 'hung');
      await this.sleep(MAX_TIMER_MS, signal);
      throw new SimulatorError('cancelled', 'the client gave up on a hung request (hangRate)', { code: 'hung' });
    }
    if (decision.kind === 'error') {
      this.statistics.recordFault(work.face, 'injectedErrors');
      throw new SimulatorError('internal', 'injected internal error (errorRate)', { code: 'injected_error' });
    }
    if (decision.kind === 'throttle') {
      this.statistics.recordFault(work.face, decision.reason === 'tokens' ? 'tokenThrottles' : 'injectedThrottles');
      const why = decision.reason === 'tokens' ? 'tokens per minute over the limit' : 'injected throttle (throttleRate)';
      throw new SimulatorError('throttled', `Too many requests: ${why}`, {
        code: 'rate_limit_exceeded',
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }

    this.statistics.recordQueued(work.face, work.route, work.items, this.scheduler.queuedItems + work.items);
    try {
      await this.scheduler.submit(work.items, signal);
    } catch (error) {
      if (error instanceof SchedulerClosedError) throw new SimulatorError('unavailable', error.message, { cause: error });
      if (error instanceof SubmissionCancelledError) {
        this.statistics.recordCancelled(work.face, work.completionTokens);
        throw new SimulatorError('cancelled', error.message, { cause: error });
      }
      throw error;
    }
    return { slowMs: decision.slowMs };
  }

  /**
   * Waits `ms`; cut short (resolved) by {@link close} so shutdown never hangs on a delay,
   * and by `signal` when given.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleeps.delete(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.sleeps.set(timer, done);
    });
  }

  /** Stops every pass and delay; waiting requests fail as unavailable. */
  close(): void {
    this.closed = true;
    this.scheduler.close();
    for (const [timer, resolve] of [...this.sleeps]) {
      clearTimeout(timer);
      resolve();
    }
    this.sleeps.clear();
  }
}
