import { ContinuousBatcher, type Sequence } from './ContinuousBatcher';
import { GpuScheduler, SchedulerClosedError, SubmissionCancelledError } from './GpuScheduler';
import { SimulatorError } from './errors';
import { FaultInjector } from './faults';
import {
  DEFAULT_SIMULATOR_CONFIG,
  applyConfigPatch,
  maxItemsPerSecond,
  maxSequencesPerSecond,
  type Face,
  type SimulatorConfig,
} from './SimulatorConfig';
import { SimulatorStats, type SimulatorStatsSnapshot } from './SimulatorStats';

/** The longest delay a Node timer takes (about 24.8 days): a hung request's wait, for all practical purposes for ever. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The simulated GPU server without its HTTP skin: configuration, its two engines, fault
 * injection and stats. Faces describe a request as {@link GpuWork}; this decides its fate
 * on arrival (poison, overload, faults), then hands it to an engine: embeddings to the
 * forward passes of {@link GpuScheduler}, text generation (chat, Converse, completions) to
 * the continuous batching of {@link ContinuousBatcher}, whose steps set the pace of every
 * token ({@link Generation}). The two stand for two servers (an embedding model and a chat
 * model do not share a GPU), behind one URL. A client that goes away (its abort signal)
 * leaves the queue or stops decoding, and is counted as cancelled.
 */

/** One request as the GPU sees it. */
export interface GpuWork {
  face: Face;
  /** Stats key, e.g. `chat.completions`, `converse`. */
  route: string;
  /** Items the request puts on the queue (for a generation: its sequences). */
  items: number;
  promptTokens: number;
  completionTokens: number;
  /** Every input text, searched for the poison marker. */
  texts: readonly string[];
}

/** What became of a generation: every token out, the client gone, or broken by `midStreamErrorRate`. */
export type GenerationOutcome = 'complete' | 'cancelled' | 'broken';

/**
 * A chat answer being decoded after its first token: {@link run} emits its completion
 * tokens at the pace of the engine's steps and stops as soon as the client goes away.
 */
export interface Generation {
  /**
   * Emits tokens `[from, to)` as they are generated: those generated before the call at
   * once, then one per engine step. Resolves with the outcome; never rejects.
   */
  run(emit?: (from: number, to: number) => void): Promise<GenerationOutcome>;
}

/** The core of a simulator. */
export class GpuSimulator {
  private current: SimulatorConfig;
  private readonly scheduler: GpuScheduler;
  private readonly batcher: ContinuousBatcher;
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
    this.batcher = new ContinuousBatcher({
      settings: () => this.current,
      onStep: (step) => this.statistics.recordStep(step),
      onFinished: (sequence) => this.statistics.recordSequence(sequence.promptTokens, sequence.completionTokens),
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
    this.batcher.poke();
    return this.config;
  }

  /** The counters, with the live queue state and the throughput ceilings. */
  stats(): SimulatorStatsSnapshot {
    const shape = this.statistics.sequenceShape();
    return this.statistics.snapshot({
      slots: this.current.slots,
      queuedItems: this.scheduler.queuedItems + this.batcher.waitingSequences,
      busySlots: this.scheduler.busySlots,
      maxItemsPerSecond: maxItemsPerSecond(this.current),
      running: this.batcher.runningSequences,
      waiting: this.batcher.waitingSequences,
      maxSequencesPerSecond: shape ? maxSequencesPerSecond(this.current, shape) : null,
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
   * Runs one request through the GPU and settles when it is done (and any injected
   * slowness has passed): its items through the embedding passes, or, when `sequences` is
   * given, each of them through the generation engine to its last token.
   * @throws SimulatorError for poison, overload, injected errors and throttles; `cancelled`
   * when `signal` aborts first.
   */
  async process(
    work: GpuWork,
    signal?: AbortSignal,
    sequences?: ReadonlyArray<{ promptTokens: number; completionTokens: number }>,
  ): Promise<void> {
    const decision = await this.decide(work, signal);
    this.statistics.recordQueued(work.face, work.route, work.items, this.queuedItems() + work.items);
    if (sequences) {
      this.statistics.recordTokens(work.face, work.promptTokens, 0);
      const added = sequences.map((shape) => this.enqueue(work.face, shape.promptTokens, shape.completionTokens, signal));
      const outcomes = await Promise.all(added.map((sequence) => sequence.done));
      if (outcomes.some((outcome) => outcome !== 'complete')) {
        for (const sequence of added) this.batcher.stop(sequence);
        if (this.closed) throw new SimulatorError('unavailable', new SchedulerClosedError().message);
        const unproduced = added.reduce((sum, sequence) => sum + sequence.completionTokens - sequence.produced, 0);
        this.statistics.recordCancelled(work.face, unproduced);
        throw new SimulatorError('cancelled', new SubmissionCancelledError().message);
      }
    } else {
      await this.submitPasses(work, signal);
      this.statistics.recordTokens(work.face, work.promptTokens, work.completionTokens);
    }
    if (decision.slowMs > 0) {
      this.statistics.recordFault(work.face, 'slowed');
      await this.sleep(decision.slowMs);
    }
  }

  /**
   * Starts a chat answer of `work.completionTokens` tokens: decides its fate, queues it in
   * the generation engine and waits for its first token. Errors come from here, before any
   * byte of an answer; what follows (the {@link Generation}) only fails mid-stream, when
   * `stream` is set and `midStreamErrorRate` says so.
   * @throws SimulatorError as {@link process} does.
   */
  async begin(work: GpuWork, options: { signal: AbortSignal; stream: boolean }): Promise<Generation> {
    const decision = await this.decide(work, options.signal);
    this.statistics.recordQueued(work.face, work.route, work.items, this.queuedItems() + work.items);
    const sequence = this.enqueue(work.face, work.promptTokens, work.completionTokens, options.signal);
    try {
      await sequence.firstToken;
    } catch (error) {
      throw this.engineError(work, error);
    }
    this.statistics.recordTokens(work.face, work.promptTokens, 0);
    if (decision.slowMs > 0) {
      this.statistics.recordFault(work.face, 'slowed');
      await this.sleep(decision.slowMs, options.signal);
    }
    if (options.stream) this.statistics.recordFault(work.face, 'streamed');
    const breaks = options.stream && this.faults.breaksMidStream(work.face, this.current[work.face]);
    return { run: (emit) => this.follow(work.face, sequence, options.signal, breaks, emit) };
  }

  /** Queues a sequence whose generated tokens are counted as they come. */
  private enqueue(face: Face, promptTokens: number, completionTokens: number, signal?: AbortSignal): Sequence {
    let counted = 0;
    let sequence: Sequence;
    try {
      sequence = this.batcher.add(promptTokens, completionTokens, signal);
    } catch (error) {
      throw this.engineError({ face, completionTokens }, error);
    }
    sequence.onProduce = (produced) => {
      this.statistics.recordTokens(face, 0, produced - counted);
      counted = produced;
    };
    return sequence;
  }

  /** Emits a sequence's tokens as the engine makes them; stops it when its client goes away or the stream breaks. */
  private async follow(
    face: Face,
    sequence: Sequence,
    signal: AbortSignal,
    breaks: boolean,
    emit: (from: number, to: number) => void = () => undefined,
  ): Promise<GenerationOutcome> {
    let emitted = 0;
    for (;;) {
      if (breaks && sequence.produced > 0) {
        emit(0, 1);
        this.batcher.stop(sequence);
        this.statistics.recordFault(face, 'midStreamErrors');
        return 'broken';
      }
      if (sequence.produced > emitted && !signal.aborted) {
        const from = emitted;
        emitted = sequence.produced;
        emit(from, emitted);
      }
      if (sequence.state === 'done' || signal.aborted) {
        if (sequence.produced >= sequence.completionTokens && !signal.aborted) return 'complete';
        this.batcher.stop(sequence);
        this.statistics.recordCancelled(face, sequence.completionTokens - sequence.produced);
        return 'cancelled';
      }
      await sequence.next();
    }
  }

  private queuedItems(): number {
    return this.scheduler.queuedItems + this.batcher.waitingSequences;
  }

  /** The queue's closed or cancelled errors as the faces answer them. */
  private engineError(work: { face: Face; completionTokens: number }, error: unknown): unknown {
    if (error instanceof SchedulerClosedError) return new SimulatorError('unavailable', error.message, { cause: error });
    if (error instanceof SubmissionCancelledError) {
      this.statistics.recordCancelled(work.face, work.completionTokens);
      return new SimulatorError('cancelled', error.message, { cause: error });
    }
    return error;
  }

  private async submitPasses(work: GpuWork, signal?: AbortSignal): Promise<void> {
    try {
      await this.scheduler.submit(work.items, signal);
    } catch (error) {
      throw this.engineError(work, error);
    }
  }

  /** Poison, overload and faults on arrival. */
  private async decide(work: GpuWork, signal?: AbortSignal): Promise<{ slowMs: number }> {
    const config = this.current;
    const marker = config.poisonMarker;
    if (marker !== '' && work.texts.some((text) => text.includes(marker))) {
      this.statistics.recordFault(work.face, 'poisoned');
      throw new SimulatorError('poison', `input contains the poison marker ${JSON.stringify(marker)}`, {
        code: 'poison_input',
      });
    }
    if (config.maxQueueItems > 0 && this.queuedItems() + work.items > config.maxQueueItems) {
      this.statistics.recordFault(work.face, 'overloaded');
      throw new SimulatorError('unavailable', `the GPU queue is full (${this.queuedItems()} items waiting)`, {
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
    this.batcher.close();
    for (const [timer, resolve] of [...this.sleeps]) {
      clearTimeout(timer);
      resolve();
    }
    this.sleeps.clear();
  }
}
