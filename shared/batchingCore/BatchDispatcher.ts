import {
  BackendRejectedError,
  BackendThrottledError,
  BackendUnavailableError,
  CapacityPendingError,
  type BackendError,
} from '../errors/backendErrors';
import type { PlatformError } from '../errors/PlatformError';
import { AdaptiveLimiter } from './AdaptiveLimiter';
import { halve, splitToFit, type BatchLimits } from './BatchPacker';
import { CallScope } from './CallScope';
import type { ResolvedTuning } from './constants';
import type { Claim, ResolvedFairShare } from './FairShare';
import { asBackendError, BatchingInternalError, CancelledError, DeadlineExceededError } from './errors';
import type { LatencyEstimator } from './LatencyEstimator';
import type { LimitMemory } from './LimitMemory';
import type { PendingItem } from './PendingItem';
import type { RetryBudget } from './RetryBudget';
import type { RetryPolicy } from './RetryPolicy';
import type { Backend, BackendResolver, CallReport, Clock, DispatchObserver, ItemResult, ResolveContext, SharedBudget } from './types';

/** What the dispatcher works with; the core builds these once and shares them. */
export interface BatchDispatcherDeps<I, O> {
  resolver: BackendResolver<I, O>;
  clock: Clock;
  tuning: ResolvedTuning;
  policy: RetryPolicy;
  budget: RetryBudget;
  estimator: LatencyEstimator;
  /** Told of every call and retry; optional. */
  observer?: DispatchObserver;
  /** How each backend's slots are shared (tenants, classes); resolved once by the core. */
  fairShare?: ResolvedFairShare;
  /** The fleet-wide budget of backends that have one; a call holds a slot of it before its limiter's. */
  fleetBudget?: SharedBudget;
  /** Where each backend's learned limit lives (may outlive the core). */
  memory: LimitMemory;
}

type Item<I, O> = PendingItem<I, O>;

/**
 * Takes batches from the queue to backends and sees each item to its outcome: picks the
 * backend, cuts the batch to its limits, waits for a slot of its adaptive limiter,
 * starts the call only if it can finish before the deadline, and on failure retries
 * (with backoff, budget and fallback), splits (to isolate a poison item) or gives up.
 *
 * How each failure is handled:
 * - per-item error in a successful call: retryable → those items retried together
 *   after backoff; otherwise failed;
 * - {@link BackendThrottledError}: limiter decrease, Retry-After pause, retry; not a
 *   backend fault, so nothing is recorded against its circuit;
 * - {@link BackendRejectedError}: a batch of several is split in halves and each half
 *   sent again at once (the halves are calls, not retries: neither `maxAttempts` nor
 *   the budget is spent, else a large batch could never isolate its poison item); an
 *   item rejected alone fails, not retryable;
 * - anything else: recorded as a failure, then retried if retryable, with `avoid` set
 *   so the resolver can pick a fallback; a resolver that throws is handled the same way.
 *
 * Time: a call in flight is aborted at the items' deadline. While another backend could
 * still take them ({@link BackendResolver.hasFallback}), one call may only take a share
 * of the time left (`attemptShare`); past it the call is cut as a `backend_timeout`
 * fault and retried on the next backend, so one hung backend cannot spend the whole
 * budget. The provider's own per-call timeout (the catalogue's `timeoutMs`) still
 * applies under both: the effective timeout is the least of the three.
 */
export class BatchDispatcher<I, O> {
  /** Counters behind the core's `stats()`. */
  readonly counters = { calls: 0, items: 0, retries: 0, throttles: 0, splits: 0 };
  readonly #limiters = new Map<string, AdaptiveLimiter>();
  readonly #routeLimits = new Map<string, BatchLimits>();

  constructor(private readonly deps: BatchDispatcherDeps<I, O>) {}

  /** Limits of the backend that last took a batch of `route`, if any did. */
  limitsFor(route: string): BatchLimits | undefined {
    return this.#routeLimits.get(route);
  }

  /** Current concurrency limit of every backend seen, by id. */
  limits(): Record<string, number> {
    return Object.fromEntries([...this.#limiters].map(([id, limiter]) => [id, limiter.limit]));
  }

  /** Sees every item of one route's batch to its outcome. Never rejects. */
  async dispatch(batch: Item<I, O>[]): Promise<void> {
    try {
      await this.#dispatch(batch, undefined);
    } catch (error) {
      // A bug here must not leave callers waiting forever.
      const internal = new BatchingInternalError(error);
      for (const item of batch) if (!item.settled) item.fail(internal);
    }
  }

  async #dispatch(batch: Item<I, O>[], avoid: string | undefined): Promise<void> {
    const items = this.#stillWanted(batch);
    if (items.length === 0) return;
    let backend: Backend<I, O>;
    try {
      backend = this.deps.resolver.resolve(items[0]!.route, avoid, resolveContext(items));
    } catch (thrown) {
      const error = asBackendError(thrown);
      // Work told to wait for its pool comes back later, from its queue: no retry here.
      if (!error.retryable || error instanceof CapacityPendingError) {
        for (const item of items) item.fail(error);
        return;
      }
      for (const item of items) item.lastError = error;
      const probeInMs = probeWaitOf(error, items);
      if (probeInMs !== undefined) return this.#waitForProbe(items, probeInMs, avoid);
      return this.#retry(items, undefined, avoid);
    }
    this.#routeLimits.set(items[0]!.route, { maxBatchItems: backend.maxBatchItems, maxBatchTokens: backend.maxBatchTokens });
    await Promise.all(splitToFit(items, backend).map((part) => this.#call(part, backend)));
  }

  /**
   * Waits for a slot of `backend`'s limiter for the items that can still make their
   * deadline, giving up on the others. Resolves with the items to send and the call's
   * congestion epoch, or undefined when none is left (the slot is then not held).
   */
  async #acquireSlot(
    batch: Item<I, O>[],
    backend: Backend<I, O>,
    limiter: AdaptiveLimiter,
  ): Promise<{ items: Item<I, O>[]; epoch: number } | undefined> {
    const { clock, tuning, estimator } = this.deps;
    let items = batch;
    const claim = this.#claimOf(items);
    for (;;) {
      // Waiting out a Retry-After pause counts: a call that can only start after it must fit too.
      items = this.#withinDeadline(this.#stillWanted(items), Math.max(clock.now(), limiter.pausedUntil), backend);
      if (items.length === 0) return undefined;
      // A free slot needs no wait, so no timer or listeners for one.
      const free = limiter.tryAcquire(claim);
      if (free !== undefined) return { items, epoch: free };
      // Stop waiting once a call could no longer finish before the earliest deadline.
      const scope = new CallScope(items, clock, estimator.estimate(backend) + tuning.deadlineSafetyMs);
      try {
        return { items, epoch: await limiter.acquire(scope.signalIfAny, claim) };
      } catch {
        // The earliest deadline can no longer be met; later ones in the batch may still be.
        if (scope.reason === 'deadline') this.#abandonEarliest(items);
      } finally {
        scope.dispose();
      }
    }
  }

  /**
   * Waits for a slot of the backend's fleet budget (the container's lease) for the items
   * that can still make their deadline, as {@link #acquireSlot} waits for the limiter's.
   * The container asks for no more than its limiter's learned limit.
   */
  async #acquireLease(
    batch: Item<I, O>[],
    backend: Backend<I, O>,
    limiter: AdaptiveLimiter,
    fleet: SharedBudget,
  ): Promise<Item<I, O>[] | undefined> {
    const { clock, tuning, estimator } = this.deps;
    const claim = this.#claimOf(batch);
    let items = batch;
    const localLimit = () => limiter.limit;
    for (;;) {
      items = this.#withinDeadline(this.#stillWanted(items), clock.now(), backend);
      if (items.length === 0) return undefined;
      if (fleet.tryAcquire(backend, claim, localLimit)) return items;
      const scope = new CallScope(items, clock, estimator.estimate(backend) + tuning.deadlineSafetyMs);
      try {
        await fleet.acquire(backend, claim, localLimit, scope.signal);
        return items;
      } catch {
        if (scope.reason === 'deadline') this.#abandonEarliest(items);
      } finally {
        scope.dispose();
      }
    }
  }

  /** One call to `backend` for `batch`, if a slot and the deadline allow it. */
  async #call(batch: Item<I, O>[], backend: Backend<I, O>): Promise<void> {
    const { clock } = this.deps;
    const limiter = this.#limiterFor(backend);
    const claim = this.#claimOf(batch);
    const fleet = this.deps.fleetBudget?.covers(backend) ? this.deps.fleetBudget : undefined;
    const leased = fleet ? await this.#acquireLease(batch, backend, limiter, fleet) : batch;
    if (!leased) return;
    const slot = await this.#acquireSlot(leased, backend, limiter);
    if (!slot) {
      fleet?.release(backend, claim);
      return;
    }
    const { epoch } = slot;
    let items = slot.items;
    let released = false;
    try {
      items = this.#withinDeadline(this.#stillWanted(items), clock.now(), backend);
      if (items.length === 0) return;
      // One scope, one timer: the deadline, or the call's share of the time left when that comes first.
      const capMs = this.#attemptCapMs(items, backend);
      const scope = new CallScope(items, clock, 0, capMs);
      for (const item of items) item.calls += 1;
      this.counters.calls += 1;
      this.counters.items += items.length;
      const started = clock.now();
      let results: ItemResult<O>[] | undefined;
      let failure: unknown;
      try {
        const signal = scope.signalIfAny;
        results = await backend.invoke(
          items.map((item) => item.input),
          signal ? { signal } : {},
        );
        if (!Array.isArray(results) || results.length !== items.length) {
          failure = new BackendUnavailableError(
            `Backend returned ${Array.isArray(results) ? results.length : 'no'} results for ${items.length} inputs`,
            { backendId: backend.id, code: 'bad_backend_response' },
          );
        }
      } catch (thrown) {
        failure = thrown ?? new Error('invoke threw nothing');
      } finally {
        scope.dispose();
      }
      if (failure !== undefined && scope.reason === undefined && scope.capped) {
        // Our own cap cut it: a backend that takes this long is treated as timed out.
        failure = new BackendUnavailableError(`${backend.id} did not answer within ${capMs} ms, its share of the time left.`, {
          backendId: backend.id,
          code: 'backend_timeout',
          cause: failure,
        });
      }
      const durationMs = clock.now() - started;
      // The limiter hears how the call went before its slot is given back, so a
      // Retry-After pause holds the very next start too.
      if (failure === undefined) limiter.increase(latencyPerUnit(durationMs, results!), epoch);
      else if (failure instanceof BackendThrottledError && scope.reason === undefined) this.#onThrottle(limiter, epoch, failure);
      released = true;
      limiter.release(claim);
      fleet?.release(backend, claim);
      this.#report(items, backend, durationMs, failure, results, scope.reason !== undefined);
      if (failure === undefined) return await this.#onResults(items, results!, backend, durationMs);
      if (scope.reason !== undefined) {
        // We cut the call: not the backend's fault, and its items may have been served.
        const reason = scope.reason;
        const error =
          reason === 'deadline'
            ? new DeadlineExceededError('The call was aborted at the deadline.')
            : new CancelledError('The call was aborted: the caller cancelled.');
        for (const item of items) {
          item.lastError = error;
          item.abandon(reason);
        }
        return;
      }
      await this.#onFailure(items, asBackendError(failure, backend.id), backend);
    } finally {
      if (!released) {
        limiter.release(claim);
        fleet?.release(backend, claim);
      }
    }
  }

  async #onResults(items: Item<I, O>[], results: ItemResult<O>[], backend: Backend<I, O>, durationMs: number): Promise<void> {
    this.deps.resolver.record(backend.id, 'success');
    this.deps.estimator.observe(backend.id, durationMs);
    const again: Item<I, O>[] = [];
    for (const [index, result] of results.entries()) {
      const item = items[index]!;
      if (result.ok) {
        item.succeed(result.value, result.usage, backend.id);
        continue;
      }
      const error = asBackendError(result.error, backend.id);
      if (!error.retryable) {
        item.fail(error);
        continue;
      }
      item.lastError = error;
      again.push(item);
    }
    if (again.length > 0) await this.#retry(again, backend, undefined);
  }

  /** Backs the backend's limiter off: halve (once per epoch) and honour Retry-After. */
  #onThrottle(limiter: AdaptiveLimiter, epoch: number, error: BackendThrottledError): void {
    this.counters.throttles += 1;
    limiter.decrease(epoch);
    if (error.retryAfterMs !== undefined) limiter.pauseUntil(this.deps.clock.now() + error.retryAfterMs);
  }

  async #onFailure(items: Item<I, O>[], error: BackendError, backend: Backend<I, O>): Promise<void> {
    if (error instanceof BackendThrottledError) {
      // The limiter has already backed off (#onThrottle); the items wait and go again.
      for (const item of items) item.lastError = error;
      return this.#retry(items, backend, undefined);
    }
    if (error instanceof BackendRejectedError) {
      if (items.length === 1) return items[0]!.fail(error);
      this.counters.splits += 1;
      // Until the halves have spoken, no item is known to be at fault.
      for (const item of items) item.lastError = undefined;
      await Promise.all(halve(items).map((half) => this.#dispatch(half, undefined)));
      return;
    }
    this.deps.resolver.record(backend.id, 'failure');
    if (!error.retryable) {
      for (const item of items) item.fail(error);
      return;
    }
    for (const item of items) item.lastError = error;
    return this.#retry(items, backend, backend.id);
  }

  /**
   * Retries items that met a retryable error (in `lastError`) after a backoff, as one
   * batch. Each item ends failed instead when it has used `maxAttempts` or the budget is
   * spent, and is abandoned when the retry could not finish before its deadline.
   */
  async #retry(items: Item<I, O>[], lastBackend: Backend<I, O> | undefined, avoid: string | undefined): Promise<void> {
    const { clock, tuning, policy, budget, estimator } = this.deps;
    const now = clock.now();
    const retryAfterMs = Math.max(
      0,
      ...items.map((item) => (item.lastError instanceof BackendThrottledError ? (item.lastError.retryAfterMs ?? 0) : 0)),
    );
    const delay = policy.backoffMs(Math.max(...items.map((item) => item.retries)) + 1, retryAfterMs);
    // The next backend is not known yet; the one that just answered is the best guess.
    const estimate = lastBackend ? estimator.estimate(lastBackend) : 0;
    const candidates: Item<I, O>[] = [];
    for (const item of items) {
      if (item.settled) continue;
      if (item.cancelled) item.abandon('cancelled');
      else if (item.retries + 1 >= tuning.maxAttempts) item.fail(item.lastError!);
      else if (!item.fitsBeforeDeadline(now + delay, estimate, tuning.deadlineSafetyMs)) item.abandon('deadline');
      else candidates.push(item);
    }
    // Deadline first: budget spent on a retry that cannot happen would be wasted.
    const granted = budget.take(candidates.length);
    for (const item of candidates.slice(granted)) item.fail(item.lastError!);
    const retrying = candidates.slice(0, granted);
    if (retrying.length === 0) return;
    for (const item of retrying) item.retries += 1;
    this.counters.retries += retrying.length;
    this.#observe(() =>
      this.deps.observer?.onRetry?.({
        route: retrying[0]!.route,
        backendId: lastBackend?.id,
        items: retrying.length,
        code: retrying[0]!.lastError?.code ?? 'unknown',
      }),
    );
    await this.#dispatchAfter(retrying, delay, avoid);
  }

  /**
   * Batch work that found every circuit of its model open waits for the next probe
   * (`waitMs`, the router's word) and is dispatched again: no backend was called, so the
   * wait takes neither an attempt nor the retry budget; the deadline bounds it. An item
   * that cannot wait that long and still make its deadline fails with the circuit's error
   * (503 all_backends_unavailable), not as a deadline it never met.
   */
  async #waitForProbe(items: Item<I, O>[], waitMs: number, avoid: string | undefined): Promise<void> {
    const { clock, tuning } = this.deps;
    const waiting: Item<I, O>[] = [];
    for (const item of items) {
      if (item.settled) continue;
      if (item.cancelled) item.abandon('cancelled');
      else if (!item.fitsBeforeDeadline(clock.now() + waitMs, 0, tuning.deadlineSafetyMs)) item.fail(item.lastError!);
      else waiting.push(item);
    }
    if (waiting.length === 0) return;
    await this.#dispatchAfter(waiting, waitMs, avoid);
  }

  /** Waits `ms` (cut short by the callers leaving or the deadline), then dispatches `items` again. */
  async #dispatchAfter(items: Item<I, O>[], ms: number, avoid: string | undefined): Promise<void> {
    const scope = new CallScope(items, this.deps.clock);
    try {
      await this.deps.clock.sleep(ms, scope.signalIfAny);
    } catch {
      // Cut short: the next pass settles the items that left or missed their deadline.
    } finally {
      scope.dispose();
    }
    await this.#dispatch(items, avoid);
  }

  /** Tells the observer how a call ended. */
  #report(
    items: Item<I, O>[],
    backend: Backend<I, O>,
    durationMs: number,
    failure: unknown,
    results: ItemResult<O>[] | undefined,
    aborted: boolean,
  ): void {
    const observer = this.deps.observer;
    if (!observer?.onCall) return;
    const report: CallReport = {
      route: items[0]!.route,
      backendId: backend.id,
      items: items.length,
      durationMs,
      result: 'ok',
      itemErrors: 0,
      inputTokens: 0,
      outputTokens: 0,
    };
    if (failure === undefined) {
      for (const result of results ?? []) {
        if (!result.ok) report.itemErrors += 1;
        else {
          report.inputTokens += result.usage.promptTokens;
          report.outputTokens += result.usage.completionTokens;
        }
      }
    } else if (aborted) {
      report.result = 'aborted';
    } else {
      const error = asBackendError(failure, backend.id);
      report.code = error.code;
      report.result = error instanceof BackendThrottledError ? 'throttled' : error instanceof BackendRejectedError ? 'rejected' : 'failed';
    }
    this.#observe(() => observer.onCall!(report));
  }

  /** Runs an observer hook; what it throws never reaches the items. */
  #observe(hook: () => void): void {
    try {
      hook();
    } catch {
      // Observation is best effort.
    }
  }

  /** Items still wanted: the settled are dropped, those whose caller left are abandoned. */
  #stillWanted(items: Item<I, O>[]): Item<I, O>[] {
    return items.filter((item) => {
      if (item.settled) return false;
      if (!item.cancelled) return true;
      item.abandon('cancelled');
      return false;
    });
  }

  /** Items whose deadline a call to `backend` starting at `start` would meet; the others are abandoned. */
  #withinDeadline(items: Item<I, O>[], start: number, backend: Backend<I, O>): Item<I, O>[] {
    const estimate = this.deps.estimator.estimate(backend);
    return items.filter((item) => {
      if (item.fitsBeforeDeadline(start, estimate, this.deps.tuning.deadlineSafetyMs)) return true;
      item.abandon('deadline');
      return false;
    });
  }

  /**
   * The cap of one call while another backend could still take the items: a share
   * (`attemptShare`) of the time left before the earliest deadline less the safety
   * margin, but never less than the backend's expected latency (a healthy call is not
   * cut) nor more than the time left. Undefined (no cap but the deadline) without a
   * deadline or without a fallback.
   */
  #attemptCapMs(items: Item<I, O>[], backend: Backend<I, O>): number | undefined {
    const { clock, tuning, resolver, estimator } = this.deps;
    let earliest = Number.POSITIVE_INFINITY;
    for (const item of items) if (item.deadline !== undefined && item.deadline < earliest) earliest = item.deadline;
    if (earliest === Number.POSITIVE_INFINITY || resolver.hasFallback?.(items[0]!.route, backend.id) !== true) return undefined;
    const left = earliest - tuning.deadlineSafetyMs - clock.now();
    return Math.max(0, Math.floor(Math.min(left, Math.max(left * tuning.attemptShare, estimator.estimate(backend)))));
  }

  /**
   * Who a call is for: its items' tenant and class (a batch holds items of one of each,
   * see `PendingItem.queueKey`). A batch call turns urgent `urgentMs` before its earliest
   * deadline.
   */
  #claimOf(items: Item<I, O>[]): Claim {
    const first = items[0]!;
    if (first.priority !== 'batch') return { tenantId: first.tenantId, priority: first.priority };
    const earliest = Math.min(...items.map((item) => item.deadline ?? Number.POSITIVE_INFINITY));
    const urgentMs = this.deps.fairShare?.urgentMs ?? 0;
    return {
      tenantId: first.tenantId,
      priority: 'batch',
      ...(Number.isFinite(earliest) ? { urgentAt: earliest - this.deps.tuning.deadlineSafetyMs - urgentMs } : {}),
    };
  }

  #abandonEarliest(items: Item<I, O>[]): void {
    const earliest = Math.min(...items.map((item) => item.deadline ?? Number.POSITIVE_INFINITY));
    for (const item of items) if (item.deadline === earliest) item.abandon('deadline');
  }

  #limiterFor(backend: Backend<I, O>): AdaptiveLimiter {
    let limiter = this.#limiters.get(backend.id);
    if (!limiter) {
      limiter = new AdaptiveLimiter({
        maxConcurrency: backend.maxConcurrency,
        initialConcurrency: backend.expectedConcurrency ?? this.deps.tuning.initialConcurrency,
        serverSlots: backend.serverSlots,
        clock: this.deps.clock,
        fairShare: this.deps.fairShare,
        learned: this.deps.memory.of(backend.id),
        latencyTolerance: this.deps.tuning.latencyTolerance,
      });
      this.#limiters.set(backend.id, limiter);
    }
    return limiter;
  }
}

/**
 * A call's latency per unit of work, so that long and short calls compare in the
 * limiter's latency check: per output token where the backend generated some (chat), else
 * per input token (embeddings), else per item.
 */
function latencyPerUnit<O>(durationMs: number, results: ItemResult<O>[]): number {
  let output = 0;
  let input = 0;
  for (const result of results) {
    if (!result.ok) continue;
    output += result.usage.completionTokens;
    input += result.usage.promptTokens;
  }
  return durationMs / Math.max(1, output > 0 ? output : input > 0 ? input : results.length);
}

/** What the resolver is told of a batch: its class, and the earliest `completesBy` when every item has one. */
function resolveContext<I, O>(items: readonly Item<I, O>[]): ResolveContext {
  const times = items.map((item) => item.completesBy);
  const known = times.every((time): time is number => time !== undefined);
  return { priority: items[0]!.priority, ...(known && times.length > 0 ? { completesBy: Math.min(...times) } : {}) };
}

/** The least wait for a probe, so that a breaker that answers 0 while it still refuses cannot spin the dispatcher. */
const MIN_PROBE_WAIT_MS = 100;

/**
 * How long batch work should wait for a probe when every backend of its model was skipped
 * by its circuit (the router's `retryAfterMs`), or undefined when it should not wait:
 * real-time work is answered at once (its caller is waiting), and work without a deadline
 * takes the ordinary retries (nothing else would bound its wait).
 */
function probeWaitOf(error: PlatformError, items: readonly { priority: string; deadline?: number | undefined }[]): number | undefined {
  if (!(error instanceof BackendUnavailableError) || error.retryAfterMs === undefined) return undefined;
  if (!items.every((item) => item.priority === 'batch' && item.deadline !== undefined)) return undefined;
  return Math.max(MIN_PROBE_WAIT_MS, error.retryAfterMs);
}
