/** Seconds a GPU pool is expected to take to serve again when nothing says otherwise: an instance's start-up (launch, weights, engine). */
export const DEFAULT_STARTUP_SECONDS = 600;

/**
 * Seconds a batch line must still have before its deadline once the pool has had its
 * time to capacity, to be kept waiting: the pool's queue, the chunk's own run and its
 * trips back through the work queue. Less than that left, the line goes to Bedrock now.
 */
export const DEFAULT_OVERFLOW_MARGIN_SECONDS = 1_800;

/** What a GPU pool can do now for a batch line. */
export type PoolState =
  /** Serving: the line goes to the pool. */
  | 'healthy'
  /** No healthy server (scaling up from zero, unhealthy, or not serving the model): its circuit is open or its call just failed. */
  | 'down'
  /** Serving but full: it refused the call for load. */
  | 'saturated';

/** What the rule weighs for one batch line whose pool lacks capacity. */
export interface BatchOverflowInput {
  /** Now, ms since the epoch. */
  nowMs: number;
  /** When the line must be done: its job's completion window end, ms since the epoch. */
  deadlineMs: number;
  pool: PoolState;
  /** Seconds until the pool is expected to have capacity: an instance's start-up time (the fleet's `startupSeconds`). */
  timeToCapacitySeconds: number;
  /** Defaults to {@link DEFAULT_OVERFLOW_MARGIN_SECONDS}. */
  marginSeconds?: number;
}

/** Where the line goes: its pool, back to the queue to wait for it (its chunk is delayed, the line not failed), or to Bedrock now. */
export type BatchOverflowDecision = 'gpu' | 'wait' | 'bedrock';

/**
 * The batch side of a pool scaling up from zero or saturated: real-time traffic overflows
 * to Bedrock (it cannot wait), a batch line waits for the GPUs unless its deadline needs
 * Bedrock. It waits while the pool's time to capacity plus the margin still ends before
 * the line's deadline, and goes to Bedrock from then on (or when its deadline is not
 * known). A saturated pool is waited for the same way: more capacity means another
 * instance, with the same start-up.
 */
export function decideBatchOverflow(input: BatchOverflowInput): BatchOverflowDecision {
  if (input.pool === 'healthy') return 'gpu';
  const margin = Math.max(0, input.marginSeconds ?? DEFAULT_OVERFLOW_MARGIN_SECONDS);
  const capacity = Math.max(0, input.timeToCapacitySeconds);
  const leftSeconds = (input.deadlineMs - input.nowMs) / 1000;
  return leftSeconds >= capacity + margin ? 'wait' : 'bedrock';
}
