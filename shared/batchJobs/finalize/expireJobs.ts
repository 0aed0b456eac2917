import { logger } from '../../observability/logger';
import { JobStateConflictError } from '../job/errors';
import { resumeJob } from './resumePausedJobs';
import type { ExpireJobsDeps } from './types';

/** What one expiry run did. */
export interface ExpireJobsResult {
  /** Jobs moved to expired by this run. */
  expired: string[];
  /** Jobs that had moved on (finalizing, finished, cancelled) before this run could expire them. */
  skipped: string[];
}

/**
 * The scheduled expiry: every job whose completion window has passed and is not yet
 * finished moves to `expired` (a conditional write, so a job that moved on meanwhile is
 * left alone). Nothing else happens here: the job's remaining chunks drain as
 * `batch_expired` error lines when the worker meets them, and the one that records the
 * last chunk asks for the finalize, which sets the output files. A job still validating
 * expires too; ingest meets the conflict on its next move and stops. A paused job (its
 * tenant over budget) has no chunks queued: they are sent again here, to drain.
 */
export async function expireJobs(deps: ExpireJobsDeps): Promise<ExpireJobsResult> {
  const nowMs = deps.now();
  const candidates = await deps.jobs.listExpired(Math.floor(nowMs / 1000), deps.limit ?? 100);
  const result: ExpireJobsResult = { expired: [], skipped: [] };
  for (const job of candidates) {
    try {
      // A paused job's chunks are set aside, not queued: its pause ends and they go again
      // first, to drain as expired. Should this die in between, the job is in_progress and
      // unpaused, which the worker's own expiry and the stall sweep see through.
      if (job.pausedAt !== undefined && deps.chunks) await resumeJob({ ...deps, chunks: deps.chunks }, { ...job, pausedAt: job.pausedAt });
      await deps.jobs.transition(job.id, 'expired', {}, new Date(nowMs));
      result.expired.push(job.id);
    } catch (error) {
      if (!(error instanceof JobStateConflictError)) throw error;
      result.skipped.push(job.id);
    }
  }
  if (candidates.length > 0) logger.info('jobs expired', { expired: result.expired.length, skipped: result.skipped.length });
  return result;
}
