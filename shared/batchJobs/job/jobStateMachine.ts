import type { JobStatus } from './Job';

/**
 * The moves a job may make. Every transition is a conditional write on the current
 * status, so two steps racing cannot move one job two ways.
 */
export const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  validating: ['in_progress', 'failed', 'cancelling', 'cancelled', 'expired'],
  in_progress: ['finalizing', 'cancelling', 'expired', 'failed'],
  finalizing: ['completed', 'failed'],
  cancelling: ['cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
  expired: [],
};

/** Statuses from which no further work is scheduled and no status change follows. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled', 'expired'];

/** Whether `from → to` is allowed. */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

/** The statuses a job may be in for a move to `to` (what the conditional write checks). */
export function statusesBefore(to: JobStatus): JobStatus[] {
  return (Object.keys(JOB_TRANSITIONS) as JobStatus[]).filter((from) => canTransition(from, to));
}

/** The timestamp field set when a job enters `status`. */
export function timestampFieldOf(
  status: JobStatus,
): 'createdAt' | 'inProgressAt' | 'finalizingAt' | 'completedAt' | 'failedAt' | 'cancellingAt' | 'cancelledAt' | 'expiredAt' {
  const fields = {
    validating: 'createdAt',
    in_progress: 'inProgressAt',
    finalizing: 'finalizingAt',
    completed: 'completedAt',
    failed: 'failedAt',
    cancelling: 'cancellingAt',
    cancelled: 'cancelledAt',
    expired: 'expiredAt',
  } as const;
  return fields[status];
}
