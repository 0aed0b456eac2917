import { logger } from '../../observability/logger';
import { chunkMessages, type ChunkMessage, type Job } from '../job/Job';
import type { JobStore } from '../job/ports';
import type { MessageSender } from '../../domain/ports';

/** What `resumePausedJobs` needs. */
export interface ResumePausedJobsDeps {
  jobs: Pick<JobStore, 'listActive' | 'resume' | 'chunkPlan' | 'chunkAttempts'>;
  /** The work queue: a resumed job's unrecorded chunks are sent there again. */
  chunks: MessageSender<ChunkMessage>;
  budget: { pausesRunningJobs(tenantId: string): Promise<boolean> };
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Most active jobs looked at per run. Default 500. */
  limit?: number;
}

/**
 * The scheduled sweep's resume step for jobs paused over their tenant's budget
 * (runChunk's `pausesForBudget`). A paused job resumes when its tenant is back under its
 * budget (a new month, a raised budget, `running_jobs: finish`), or when it was cancelled
 * or expired meanwhile, so that its chunks drain as cancelled or expired lines. Resuming
 * is one conditional write (two sweeps resume a job once); then every chunk not recorded
 * done is sent again. A chunk sent twice (one still in the queue) is recorded once.
 * Returns the ids of the jobs resumed.
 */
export async function resumePausedJobs(deps: ResumePausedJobsDeps): Promise<string[]> {
  const resumed: string[] = [];
  for (const job of await deps.jobs.listActive(deps.limit ?? 500)) {
    if (job.pausedAt === undefined) continue;
    if (job.status === 'in_progress' && (await deps.budget.pausesRunningJobs(job.tenantId))) continue;
    if (await resumeJob(deps, { ...job, pausedAt: job.pausedAt })) resumed.push(job.id);
  }
  return resumed;
}

/**
 * Ends a paused job's pause and sends its unrecorded chunks again; false when another
 * sweep resumed it first. Also what the expiry does for a paused job it expires, so that
 * its chunks drain as `batch_expired` lines.
 */
export async function resumeJob(
  deps: Pick<ResumePausedJobsDeps, 'chunks' | 'now'> & { jobs: Pick<JobStore, 'resume' | 'chunkPlan' | 'chunkAttempts'> },
  job: Job & { pausedAt: number },
): Promise<boolean> {
  if (!(await deps.jobs.resume(job.id, new Date(deps.now())))) return false;
  const done = await deps.jobs.chunkAttempts(job.id);
  const unrecorded = (await deps.jobs.chunkPlan(job.id)).filter((chunk) => !done.has(chunk.index));
  logger.info('paused job resumed: its unrecorded chunks are sent again', {
    jobId: job.id,
    tenantId: job.tenantId,
    status: job.status,
    chunks: unrecorded.length,
    pausedSeconds: Math.floor(deps.now() / 1000) - job.pausedAt,
  });
  if (unrecorded.length > 0) await deps.chunks.send(chunkMessages(job, unrecorded));
  return true;
}
