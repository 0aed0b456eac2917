import { JobStateConflictError } from '../job/errors';
import type { JobStore } from '../job/ports';

/**
 * A job cancelled before ingest planned any chunk has no chunk left to drain, so no
 * worker would ever move it on: it becomes `cancelled` here. Safe to run twice.
 */
export async function settleUnplannedJob(jobs: JobStore, jobId: string): Promise<void> {
  const job = await jobs.get(jobId);
  if (!job || job.status !== 'cancelling' || job.chunksTotal > 0) return;
  try {
    await jobs.transition(jobId, 'cancelled');
  } catch (error) {
    if (!(error instanceof JobStateConflictError)) throw error;
  }
}
