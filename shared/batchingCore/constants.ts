/**
 * Defaults of {@link BatchingOptions}; each one is documented on the option it fills.
 * @module
 */
import type { BatchingOptions } from './types';

/** Longest an item waits for its batch to fill when it comes through `submit`. */
export const DEFAULT_MAX_WAIT_MS = 10;
/** Most attempts per item, the first included. */
export const DEFAULT_MAX_ATTEMPTS = 4;
/** First backoff before a retry. */
export const DEFAULT_BASE_BACKOFF_MS = 100;
/** Ceiling of one backoff. */
export const DEFAULT_MAX_BACKOFF_MS = 10_000;
/** Share of submitted items that may be retried, on top of {@link DEFAULT_MIN_RETRY_BUDGET}. */
export const DEFAULT_RETRY_BUDGET_RATIO = 0.2;
/** Retries always allowed, so a small run can ride out a blip. */
export const DEFAULT_MIN_RETRY_BUDGET = 20;
/** Concurrency a backend starts at, when its own maximum is higher. */
export const DEFAULT_INITIAL_CONCURRENCY = 4;
/** Time kept in reserve before a deadline, to write results. */
export const DEFAULT_DEADLINE_SAFETY_MS = 1_000;
/** Share of the time left one call may take while a fallback backend remains. */
export const DEFAULT_ATTEMPT_SHARE = 0.5;

/** Every option of the core filled in, apart from the clock and randomness. */
export type ResolvedTuning = Required<
  Omit<BatchingOptions, 'clock' | 'random' | 'initialConcurrency' | 'observer' | 'fairShare' | 'fleetBudget'>
> &
  Pick<BatchingOptions, 'initialConcurrency'>;

/** Fills the unset tuning options with their defaults and rejects impossible values. */
export function resolveTuning(options: BatchingOptions): ResolvedTuning {
  const tuning: ResolvedTuning = {
    maxWaitMs: options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    baseBackoffMs: options.baseBackoffMs ?? DEFAULT_BASE_BACKOFF_MS,
    maxBackoffMs: options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
    retryBudgetRatio: options.retryBudgetRatio ?? DEFAULT_RETRY_BUDGET_RATIO,
    minRetryBudget: options.minRetryBudget ?? DEFAULT_MIN_RETRY_BUDGET,
    initialConcurrency: options.initialConcurrency,
    deadlineSafetyMs: options.deadlineSafetyMs ?? DEFAULT_DEADLINE_SAFETY_MS,
    attemptShare: options.attemptShare ?? DEFAULT_ATTEMPT_SHARE,
  };
  // A misconfigured core would fail every item in odd ways; fail once, loudly, at startup.
  if (!(tuning.maxAttempts >= 1)) throw new Error(`maxAttempts must be at least 1, got ${tuning.maxAttempts}`);
  for (const key of ['maxWaitMs', 'baseBackoffMs', 'maxBackoffMs', 'retryBudgetRatio', 'minRetryBudget', 'deadlineSafetyMs'] as const) {
    if (!(tuning[key] >= 0)) throw new Error(`${key} must be zero or more, got ${tuning[key]}`);
  }
  if (!(tuning.attemptShare > 0 && tuning.attemptShare <= 1)) throw new Error(`attemptShare must be in (0, 1], got ${tuning.attemptShare}`);
  return tuning;
}
