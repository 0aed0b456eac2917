import type { BackendError } from '../errors/backendErrors';
import type { Usage } from '../domain/inference';
import type { Claim, FairShareOptions, Priority } from './FairShare';
import type { LimitMemory } from './LimitMemory';

/**
 * Time as the batching core sees it. Production passes {@link systemClock}; tests pass a
 * fake whose time only moves when the test says, so no test sleeps for real.
 */
export interface Clock {
  /** Milliseconds since an arbitrary epoch. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason if aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Optional fast path of `sleep` for the core's per-call timers: calls `fire` after `ms`
   * unless the returned function was called first. Without it the core uses `sleep`.
   */
  setTimer?(ms: number, fire: () => void): () => void;
}

/** Randomness, injectable so that jitter is deterministic in tests. Returns [0, 1). */
export type Random = () => number;

/** One request handed to the core. */
export interface BatchItem<I> {
  /** Caller's id for the item; outcomes carry it back. Unique within one `run`. */
  id: string;
  /** Items with the same route may share a batch (for example `embeddings:bge-m3`). */
  route: string;
  input: I;
  /** Estimated tokens, counted against a batch's token budget. */
  estimatedTokens: number;
}

/** What a backend returns for one item of a batch it accepted. */
export type ItemResult<O> = { ok: true; value: O; usage: Usage } | { ok: false; error: BackendError };

/** Everything a backend needs for one call. */
export interface InvokeOptions {
  /**
   * Aborted when the call must stop (deadline reached, caller gone, its time share
   * spent). Absent when nothing can stop the call (no deadline, no caller signal): the
   * core builds no abort machinery for it.
   */
  signal?: AbortSignal;
}

/**
 * A place batches can be sent: one provider serving one model. Invoke returns one
 * result per input, in order, or throws a {@link BackendError} that applies to the
 * whole batch (throttled, unavailable, rejected).
 */
export interface Backend<I, O> {
  readonly id: string;
  /** Most items in one call; 1 means one request per call. */
  readonly maxBatchItems: number;
  /** Token budget of one call. */
  readonly maxBatchTokens: number;
  /** Ceiling of the adaptive concurrency limit. */
  readonly maxConcurrency: number;
  /** The most calls in flight against this backend across the whole fleet (see `FleetBudget`); undefined: none. */
  readonly fleetConcurrency?: number;
  /** Calls it is expected to take at once: where its limit starts (default: the core's `initialConcurrency`). */
  readonly expectedConcurrency?: number;
  /**
   * Calls that fill its servers at once; more wait in the servers' own first-come queue.
   * While real-time traffic is about, batch stays under it (see {@link FairShareOptions}).
   * Undefined: the limit.
   */
  readonly serverSlots?: number;
  /** What a call is expected to take before one has been measured. */
  readonly expectedLatencyMs: number;
  invoke(inputs: I[], options: InvokeOptions): Promise<ItemResult<O>[]>;
}

/** What a resolver knows of the items it chooses a backend for. */
export interface ResolveContext {
  priority: Priority;
  /**
   * The earliest of the items' {@link RunOptions.completesBy}; absent when any item has
   * none. A resolver may keep such work for its first backend rather than fall back.
   */
  completesBy?: number;
}

/**
 * Chooses the backend for a route at each attempt (routing, fallback and circuit
 * breaking live behind it) and hears how each call went.
 */
export interface BackendResolver<I, O> {
  /**
   * The backend to use for `route` now. `avoid` names the backend whose call just
   * failed, so a retry can go elsewhere when another backend is available. Throws a
   * BackendError when no backend can take the route (all circuits open).
   */
  resolve(route: string, avoid?: string, context?: ResolveContext): Backend<I, O>;
  /** Called after each call: `failure` only for backend faults (unavailable, timeout). */
  record(backendId: string, result: 'success' | 'failure'): void;
  /**
   * Whether a backend other than `backendId` could take `route` now, were this call to
   * fail. When it could, one call may only spend a share of the time left
   * ({@link BatchingOptions.attemptShare}), so a hung backend leaves time for the next.
   * Without this method no call is capped below the deadline.
   */
  hasFallback?(route: string, backendId: string): boolean;
}

/** Why an item was handed back untouched. */
export type NotAttemptedReason = 'deadline' | 'cancelled';

/**
 * Exactly one per item. The three shapes are told apart by `status`, and only a
 * succeeded outcome has a value, so a caller cannot mistake one for another.
 */
export type Outcome<O> =
  | { status: 'succeeded'; id: string; value: O; usage: Usage; attempts: number; backendId: string }
  | {
      status: 'failed';
      id: string;
      /** `unanswered`: the last call got no HTTP answer (connection failure, timeout, abort). */
      error: { code: string; message: string; retryable: boolean; httpStatus: number; unanswered?: boolean };
      attempts: number;
    }
  | { status: 'not_attempted'; id: string; reason: NotAttemptedReason };

/** Tuning of the core; every field has a default. */
export interface BatchingOptions {
  /** Longest an item waits for its batch to fill (`submit` only). Default 10 ms. */
  maxWaitMs?: number;
  /** Most attempts per item, the first included. Default 4. */
  maxAttempts?: number;
  /** First backoff before a retry. Default 100 ms. */
  baseBackoffMs?: number;
  /** Ceiling of one backoff. Default 10 s. */
  maxBackoffMs?: number;
  /**
   * Retry budget: retries allowed are at most this fraction of the items submitted,
   * plus `minRetryBudget`. Default 0.2 and 20.
   */
  retryBudgetRatio?: number;
  minRetryBudget?: number;
  /**
   * Initial concurrency of a backend that states no `expectedConcurrency`, before it
   * adapts. Default min(4, backend max).
   */
  initialConcurrency?: number;
  /**
   * Latency backoff of each backend's limit: the multiple of the least latency seen past
   * which the smoothed latency means the backend is queueing (see `AdaptiveLimiter`).
   * Default 3; `Infinity` turns it off.
   */
  latencyTolerance?: number;
  /**
   * Where the learned limits live: pass one {@link LimitMemory} to every core of a process
   * (module scope in a Lambda), so a core built later resumes where the last one left
   * each backend. Default: the core's own.
   */
  limitMemory?: LimitMemory;
  /** Time kept in reserve before the deadline (to write results). Default 1,000 ms. */
  deadlineSafetyMs?: number;
  /**
   * Share of the time left (to the deadline less `deadlineSafetyMs`) that one call may
   * take while another backend could still be tried (see
   * {@link BackendResolver.hasFallback}); a call past it is cut and counts as a
   * `backend_timeout`, and the retry goes to the next backend. Never less than the
   * backend's expected latency. Default 0.5.
   */
  attemptShare?: number;
  clock?: Clock;
  random?: Random;
  /** Hears every backend call and retry (metrics, logs); default: nobody listens. */
  observer?: DispatchObserver;
  /**
   * How each backend's slots are shared among tenants and between real-time and batch
   * calls (weights, the real-time reserve); see {@link FairShareOptions}. Default: on,
   * every tenant weight 1.
   */
  fairShare?: FairShareOptions;
  /**
   * The fleet-wide budget of backends with a `fleetConcurrency`: a call holds a slot of
   * the container's lease as well as one of its limiter. Build one per process, as the core.
   */
  fleetBudget?: SharedBudget;
}

/** A backend as a shared budget sees it. */
export interface BudgetedBackend {
  readonly id: string;
  /** The most calls in flight against the backend across the fleet; undefined: no shared budget. */
  readonly fleetConcurrency?: number;
}

/**
 * A budget of calls shared with other processes (the fleet's, `FleetBudget`): a call holds
 * one of its slots before one of its backend's limiter. `localLimit` reads the container's
 * own learned limit for the backend (it changes while calls wait), beyond which it asks for
 * nothing.
 */
export interface SharedBudget {
  /** Whether calls to `backend` go through the budget at all. */
  covers(backend: BudgetedBackend): boolean;
  /** Takes a slot at once if one is free; false, taking nothing, when the caller must wait. */
  tryAcquire(backend: BudgetedBackend, claim: Claim, localLimit: () => number): boolean;
  /** Waits for a slot; rejects with the signal's reason if it aborts first (nothing is then held). */
  acquire(backend: BudgetedBackend, claim: Claim, localLimit: () => number, signal?: AbortSignal): Promise<void>;
  /** Gives back the slot of a call that has ended (with the claim it was acquired with). */
  release(backend: BudgetedBackend, claim: Claim): void;
}

/** How one backend call ended. */
export type CallResult = 'ok' | 'throttled' | 'rejected' | 'failed' | 'aborted';

/** What the core reports of one backend call, once it has ended. */
export interface CallReport {
  /** The items' route (see `routeOf`): the model, and what its backend must support. */
  route: string;
  backendId: string;
  /** Items sent in the call: how well batching packed it. */
  items: number;
  durationMs: number;
  result: CallResult;
  /** The error code when the call did not succeed (`backend_unavailable`, `rate_limit_exceeded`, …). */
  code?: string;
  /** Items of a successful call the backend answered with an error of their own. */
  itemErrors: number;
  /** Tokens of the items served, as the backend counted them. */
  inputTokens: number;
  outputTokens: number;
}

/** What the core reports of items scheduled for another attempt. */
export interface RetryReport {
  route: string;
  /** The backend whose failure caused the retry, when one was called. */
  backendId?: string;
  items: number;
  /** The code of the error that caused it. */
  code: string;
}

/**
 * The batching core's observation port: told of each backend call and each retry, so an
 * adapter outside the core can count them (metrics) or log them. It must not throw; the
 * core ignores anything it does.
 */
export interface DispatchObserver {
  onCall?(report: CallReport): void;
  onRetry?(report: RetryReport): void;
}

/** Per-call options of `run` and `submit`. */
export interface RunOptions {
  /**
   * Absolute clock time (ms) by which the items must be settled; a Lambda passes
   * `Date.now() + context.getRemainingTimeInMillis()`. No call starts that is not
   * expected to finish `deadlineSafetyMs` before it.
   */
  deadline?: number;
  /** When aborted, no new call starts and calls in flight for these items are aborted. */
  signal?: AbortSignal;
  /** Told of each item's outcome as it settles (`run` only): progress within a set. Must not throw. */
  onSettled?: (outcome: Outcome<unknown>) => void;
  /** Whose items these are: each tenant gets its weighted share of a contended backend. Default: no tenant (`''`). */
  tenantId?: string;
  /** `realtime` (the default) takes a backend's free slots first; `batch` takes what real-time leaves. */
  priority?: Priority;
  /**
   * Absolute clock time (ms) by which the work must be done at the latest, beyond this
   * call: a batch job's completion window end. Given, a batch item whose first backend
   * (its GPU pool) lacks capacity may be failed with a retryable `gpu_capacity_pending`
   * (to come back later) instead of falling back, while that time allows
   * (shared/fleet/batchOverflow.ts). Absent: it falls back as real-time work does.
   */
  completesBy?: number;
}

/** Counters of a core since it was built, for logs and metrics. */
export interface BatchingStats {
  /** Backend calls started. */
  calls: number;
  /** Items sent in those calls (an item retried three times counts three times). */
  items: number;
  /** Item retries scheduled after retryable failures (each one spent from the retry budget). */
  retries: number;
  /** Calls refused by a backend for load. */
  throttles: number;
  /** Batches split in halves after a backend rejected them whole. */
  splits: number;
  /** The current adaptive concurrency limit of each backend seen, by backend id. */
  limits: Record<string, number>;
}
