import { chunkMessages } from '../job/Job';
import { logger } from '../../observability/logger';
import { jobKeys, type ChunkPlan, type Job, type JobStatus } from '../job/Job';
import { chunkLinesAsErrors } from '../run/lostInput';
import { bedrockRecord, outputFormatOf } from '../lines/bedrockOutput';
import { randomId, toJsonl } from '../../domain/outputLines';
import type { SweepStalledJobsDeps } from './types';

/** The error code of a line whose chunk was given up on after its redrives. */
export const CHUNK_ABANDONED = 'chunk_abandoned';

/** Statuses in which a job waits on its chunks or its finalize, and so can stall. */
const SWEPT: readonly JobStatus[] = ['in_progress', 'cancelling', 'finalizing'];
const JSONL = 'application/jsonl';

/** What one sweep did, by job id. */
export interface SweepStalledJobsResult {
  /** Jobs whose unfinished chunks were sent again. */
  redriven: string[];
  /** Jobs whose unfinished chunks were written as `chunk_abandoned` errors. */
  abandoned: string[];
  /** Jobs whose chunks were all recorded, asked to finalize again. */
  refinalized: string[];
}

/**
 * The scheduled stall sweep: no job stays unfinished for ever. A job in_progress,
 * cancelling or finalizing with no progress (no chunk recorded, no redrive) for
 * `stalledAfterSeconds` is stalled, whatever lost its messages (a DLQ, a bug, an outage):
 *
 * - chunks all recorded: its finalize is asked again (finalize is idempotent);
 * - otherwise, up to `maxRedrives` times: the chunk messages of the chunks not recorded
 *   done, and not seen progressing within `stalledAfterSeconds` either (a running chunk
 *   reports its progress, {@link Job.chunkProgressAt}), are sent again (a worker ignores a
 *   chunk already recorded, so this is safe; skipping the running ones keeps a slow job
 *   from being run twice over);
 * - after that: those chunks' lines are written as `chunk_abandoned` error lines and the
 *   chunks recorded done, so the job finalizes with every line in one of its files.
 *
 * A stalled job whose unrecorded chunks are all progressing is left alone, no redrive spent,
 * and so is a paused job (its tenant over budget): resumePausedJobs sends its chunks again.
 *
 * A redrive is counted with a conditional write first, so two sweeps running at once
 * redrive a job once. Abandoning races a late worker harmlessly: the chunk is recorded
 * once, by whichever write comes first.
 */
export async function sweepStalledJobs(deps: SweepStalledJobsDeps): Promise<SweepStalledJobsResult> {
  const nowSeconds = Math.floor(deps.now() / 1000);
  const result: SweepStalledJobsResult = { redriven: [], abandoned: [], refinalized: [] };
  for (const job of await deps.jobs.listActive(deps.limit ?? 500)) {
    const stalledBefore = nowSeconds - deps.stalledAfterSeconds;
    if (!SWEPT.includes(job.status) || lastProgress(job) > stalledBefore) continue;
    // A paused job waits on its tenant's budget, not on its chunks: resumePausedJobs sees it through.
    if (job.pausedAt !== undefined) continue;
    const plan = await deps.jobs.chunkPlan(job.id);
    const done = await deps.jobs.chunkAttempts(job.id);
    const running = (chunk: ChunkPlan) => (job.chunkProgressAt?.[chunk.index] ?? 0) > stalledBefore;
    const unrecorded = plan.filter((chunk) => !done.has(chunk.index));
    const unfinished = unrecorded.filter((chunk) => !running(chunk));
    if (job.status !== 'finalizing' && unrecorded.length > 0 && unfinished.length === 0) continue;
    const seen = job.redrives ?? 0;
    if (!(await deps.jobs.recordRedrive(job.id, seen, new Date(deps.now())))) continue;
    if (unrecorded.length === 0 || job.status === 'finalizing') {
      logger.warn('stalled job: all its chunks are recorded, its finalize is asked again', {
        jobId: job.id,
        status: job.status,
        redrives: seen + 1,
      });
      await deps.finalize.send([{ kind: 'finalize', tenantId: job.tenantId, jobId: job.id }]);
      result.refinalized.push(job.id);
    } else if (seen < deps.maxRedrives) {
      logger.warn('stalled job: its unfinished chunks are sent again', {
        jobId: job.id,
        status: job.status,
        chunks: unfinished.map((chunk) => chunk.index),
        running: unrecorded.filter(running).map((chunk) => chunk.index),
        redrives: seen + 1,
        maxRedrives: deps.maxRedrives,
      });
      await deps.chunks.send(chunkMessages(job, unfinished));
      result.redriven.push(job.id);
    } else {
      logger.error('stalled job: its unfinished chunks are abandoned, their lines written as errors', {
        jobId: job.id,
        status: job.status,
        chunks: unfinished.map((chunk) => chunk.index),
        redrives: seen,
      });
      // A Bedrock batch chunk is watched by the batch sweep, and ends with its Bedrock job
      // (stopped once the job is cancelled or expired): it is sent again, never abandoned.
      const waiting = unfinished.filter((chunk) => chunk.batch);
      if (waiting.length > 0) await deps.chunks.send(chunkMessages(job, waiting));
      await abandonChunks(
        deps,
        job,
        unfinished.filter((chunk) => !chunk.batch),
      );
      result.abandoned.push(job.id);
    }
  }
  return result;
}

/** The last time the job showed progress, in unix seconds. */
function lastProgress(job: Job): number {
  return Math.max(job.progressAt ?? 0, job.inProgressAt ?? 0, job.cancellingAt ?? 0, job.finalizingAt ?? 0, job.createdAt);
}

/** Records each chunk done with its lines as `chunk_abandoned` errors; the last one recorded asks for the finalize. */
async function abandonChunks(deps: SweepStalledJobsDeps, job: Job, chunks: readonly ChunkPlan[]): Promise<void> {
  const reason = {
    code: CHUNK_ABANDONED,
    message: `This request was not run: its chunk made no progress after ${deps.maxRedrives} redrives.`,
  };
  for (const chunk of chunks) {
    const attempt = `abandoned-${deps.newAttemptId()}`;
    const outputs = chunkLinesAsErrors(chunk, job.id, reason, randomId);
    await Promise.all([
      deps.objects.write(job.source.bucket, jobKeys.chunkResults(job.id, chunk.index, attempt), '', { contentType: JSONL }),
      deps.objects.write(
        job.source.bucket,
        jobKeys.chunkErrors(job.id, chunk.index, attempt),
        toJsonl(outputs.map((output) => (outputFormatOf(job) === 'bedrock' ? bedrockRecord(output.line, undefined) : output.line))),
        { contentType: JSONL },
      ),
    ]);
    const { applied, job: after } = await deps.jobs.recordChunkDone(
      job.id,
      chunk.index,
      attempt,
      { completed: 0, failed: outputs.length, promptTokens: 0, completionTokens: 0, errorCodes: { [CHUNK_ABANDONED]: outputs.length } },
      new Date(deps.now()),
    );
    if (applied && after.chunksDone >= after.chunksTotal && after.chunksTotal > 0) {
      await deps.finalize.send([{ kind: 'finalize', tenantId: job.tenantId, jobId: job.id }]);
    }
  }
}
