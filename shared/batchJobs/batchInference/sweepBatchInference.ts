import { logger } from '../../observability/logger';
import type { ChunkMessage, Job } from '../job/Job';
import { completeBatchChunk, type CompleteOutcome } from './completeBatchChunk';
import { parseBatchJobName, type BatchInferenceRecord } from './ports';
import { onDemand, trySubmit } from './submitBatchChunk';
import type { BatchInferenceDeps } from './types';

/** What one sweep did, by `<jobId>#<chunk>`. */
export interface BatchSweepResult {
  submitted: string[];
  stopped: string[];
  settled: string[];
}

/**
 * The polling sweep (schedule), for what no event says: submits waiting chunks whose
 * model has a free slot, looks at every submitted Bedrock job with
 * `GetModelInvocationJob` (a missed state-change event is caught here), stops the Bedrock
 * jobs of a cancelled or expired job (Bedrock keeps what they finished), and sends a
 * waiting chunk of such a job to the work queue, where it drains as error lines.
 */
export async function sweepBatchInference(
  deps: BatchInferenceDeps,
  options: { deadline: number; limit?: number },
): Promise<BatchSweepResult> {
  const result: BatchSweepResult = { submitted: [], stopped: [], settled: [] };
  for (const job of await deps.jobs.listActive(options.limit ?? 500)) {
    const records = await deps.batchJobs.listForJob(job.id);
    for (const record of records) {
      const id = `${record.jobId}#${record.chunkIndex}`;
      try {
        if (record.state === 'waiting') {
          if (job.status === 'in_progress') {
            // A paused job (its tenant over budget) submits nothing new until it resumes.
            if (job.pausedAt === undefined && (await trySubmit(deps, record)) === 'submitted') result.submitted.push(id);
          } else if (job.status === 'cancelling' || job.status === 'expired') {
            await drainWaiting(deps, job, record);
            result.settled.push(id);
          }
          continue;
        }
        if (record.state !== 'submitted' || !record.jobArn) continue;
        if ((job.status === 'cancelling' || job.status === 'expired') && record.bedrockStatus !== 'Stopping') {
          await deps.bedrock.stop(record.jobArn);
          await deps.batchJobs.noteStatus(record.jobId, record.chunkIndex, 'Stopping');
          result.stopped.push(id);
        }
        const outcome = await completeBatchChunk(deps, record, await deps.bedrock.get(record.jobArn), options);
        if (outcome === 'recorded' || outcome === 'sent_on_demand') result.settled.push(id);
      } catch (error) {
        logger.error('a Bedrock batch chunk could not be swept; the next sweep tries again', {
          jobId: job.id,
          chunk: record.chunkIndex,
          error: error as Error,
        });
      }
    }
  }
  return result;
}

/**
 * A waiting chunk of a job that stopped taking work: it goes to the work queue, where it
 * drains as error lines. Claimed first, so two sweeps at once send it once; should the
 * sweep die before sending, the stall sweep sends it again.
 */
async function drainWaiting(deps: BatchInferenceDeps, job: Job, record: BatchInferenceRecord): Promise<void> {
  if (!(await deps.batchJobs.settle(record.jobId, record.chunkIndex, { state: 'on_demand' }, new Date(deps.now())))) return;
  const plan = (await deps.jobs.chunkPlan(job.id)).find((chunk) => chunk.index === record.chunkIndex);
  if (plan) {
    const { bucket, key, etag, format, model } = job.source;
    const message: ChunkMessage = {
      kind: 'chunk',
      tenantId: job.tenantId,
      jobId: job.id,
      chunk: plan,
      source: { bucket, key, ...(etag ? { etag } : {}), ...(format ? { format } : {}), ...(model ? { model } : {}) },
    };
    await deps.chunks.send([onDemand(message)]);
  }
}

/** Bedrock's "Batch Inference Job State Change" event detail, as far as it is read here. */
export interface BatchJobStateChange {
  batchJobArn?: string;
  batchJobName?: string;
  status?: string;
}

/**
 * A Bedrock state-change event: the job is looked up again (`GetModelInvocationJob` is the
 * truth; events may come late, twice or out of order) and handled as the sweep would.
 * An event for a job the platform did not start is ignored.
 */
export async function handleBatchJobStateChange(
  deps: BatchInferenceDeps,
  detail: BatchJobStateChange,
  options: { deadline: number },
): Promise<CompleteOutcome | 'ignored'> {
  if (!detail.batchJobArn) return 'ignored';
  const info = await deps.bedrock.get(detail.batchJobArn);
  const named = parseBatchJobName(info.jobName ?? detail.batchJobName ?? '');
  const record = named ? await deps.batchJobs.get(named.jobId, named.chunkIndex) : undefined;
  if (!record) return 'ignored';
  return completeBatchChunk(deps, record, info, options);
}

/**
 * Stops the Bedrock jobs of a cancelled job (`StopModelInvocationJob`); each then ends
 * `Stopped` with the output of the records it finished, which its chunk keeps. A stop
 * that fails is tried again by the sweep.
 */
export async function stopBatchInference(deps: Pick<BatchInferenceDeps, 'batchJobs' | 'bedrock'>, jobId: string): Promise<number> {
  let stopped = 0;
  for (const record of await deps.batchJobs.listForJob(jobId)) {
    if (record.state !== 'submitted' || !record.jobArn) continue;
    try {
      await deps.bedrock.stop(record.jobArn);
      await deps.batchJobs.noteStatus(record.jobId, record.chunkIndex, 'Stopping');
      stopped += 1;
    } catch (error) {
      logger.warn('a Bedrock batch job could not be stopped now; the sweep tries again', {
        jobId,
        chunk: record.chunkIndex,
        error: error as Error,
      });
    }
  }
  return stopped;
}
