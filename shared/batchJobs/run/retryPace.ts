/** Why a chunk goes back to the queue instead of being recorded. */
export type RetryCause =
  /** Ingest is still finishing the job: it will be in_progress in moments. */
  | 'job_validating'
  /** Items were not finished by the invocation's deadline: the work is there, run it again soon. */
  | 'deadline'
  /** A backend refused for load (429, throttling): give it time. */
  | 'rate_limited'
  /** A backend was down, erroring or unreachable: give it time to come back. */
  | 'backend_unavailable'
  /** The lines' GPU pool has no capacity (starting from zero, saturated) and their deadline lets them wait for it: minutes, an instance's start-up. */
  | 'gpu_capacity_pending';

/** How soon each cause is worth trying again: the first delay and the longest one, in seconds. */
const PACES: Readonly<Record<RetryCause, { firstSeconds: number; maxSeconds: number }>> = {
  job_validating: { firstSeconds: 5, maxSeconds: 60 },
  deadline: { firstSeconds: 2, maxSeconds: 30 },
  rate_limited: { firstSeconds: 15, maxSeconds: 900 },
  backend_unavailable: { firstSeconds: 10, maxSeconds: 900 },
  gpu_capacity_pending: { firstSeconds: 120, maxSeconds: 900 },
};

/** SQS's longest visibility timeout (12 hours). */
const SQS_MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Seconds until a chunk sent back for `cause` on its `receiveCount`-th delivery should be
 * delivered again: exponential in the deliveries (first, 2×, 4×, … up to the cause's
 * longest), with "equal jitter" (between half and all of it, at random) so that the
 * chunks of a job hit by one outage do not all come back in the same second. A failure
 * comes back in seconds to minutes, at the pace of its cause, not after the queue's
 * whole visibility timeout.
 */
export function retryDelaySeconds(cause: RetryCause, receiveCount: number, random: () => number = Math.random): number {
  const pace = PACES[cause];
  const exponent = Math.min(Math.max(receiveCount, 1) - 1, 20);
  const ceiling = Math.min(pace.maxSeconds, pace.firstSeconds * 2 ** exponent);
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.min(SQS_MAX_VISIBILITY_SECONDS, Math.max(1, Math.round(jittered)));
}
