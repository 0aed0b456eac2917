import { createHash } from 'node:crypto';
import { BackendThrottledError } from '../../errors/backendErrors';
import { logger } from '../../observability/logger';
import { isInputLost } from '../job/errors';
import type { ChunkMessage, Job } from '../job/Job';
import { assignedRecordId } from '../lines/bedrockOutput';
import { parseBatchLine } from '../lines/lineFormats';
import { JsonlPartWriter } from '../lines/JsonlPartWriter';
import { chunkRequestLines, lineContextOf, parseChunkLine } from '../run/chunkLines';
import { pausesForBudget, runChunk, type RunChunkOptions } from '../run/runChunk';
import type { ChunkRunResult } from '../run/types';
import { batchTargetOf, isBatchable } from './batchRoutePolicy';
import { batchJobName, type BatchInferenceRecord } from './ports';
import { batchInferenceKeys, type BatchInferenceDeps } from './types';

/**
 * The worker's step for a Bedrock batch chunk: writes its lines as one Bedrock input file
 * (`recordId` = the line's number as an 11-digit id, `modelInput` = its chat request
 * without `model`), records the chunk `waiting` in DynamoDB, and submits it when the
 * model has a free slot. The chunk is recorded done later, when its Bedrock job ends
 * ({@link completeBatchChunk}).
 *
 * Safe to deliver again: a chunk already recorded (waiting or submitted) writes nothing
 * new (even once the job is cancelling: the sweep stops its Bedrock job and keeps what it
 * finished), and a submit repeated after a crash carries the same `clientRequestToken`, so
 * Bedrock returns the job it started instead of starting another. A chunk not yet recorded
 * of a job that is not in_progress (validating, cancelling, expired) is left to
 * {@link runChunk}, which retries or drains it; a chunk whose input changed, or whose lines
 * batch inference cannot take after all, runs on demand.
 */
export async function submitBatchChunk(deps: BatchInferenceDeps, message: ChunkMessage, options: RunChunkOptions): Promise<ChunkRunResult> {
  const { jobId, chunk } = message;
  const job = await deps.jobs.get(jobId);
  if (!job || job.tenantId !== message.tenantId || !chunk.batch) return runChunk(deps, message, options);
  if ((await deps.jobs.chunkAttempts(jobId)).has(chunk.index)) return runChunk(deps, message, options);
  const existing = await deps.batchJobs.get(jobId, chunk.index);
  // Recorded already: Bedrock has it or it waits for a slot; the batch sweep sees it through, whatever the job's status.
  if (existing && existing.state !== 'on_demand') {
    if (existing.state === 'waiting' && job.status === 'in_progress') await trySubmit(deps, existing);
    return { status: 'handed_off' };
  }
  if (existing || job.status !== 'in_progress') return runChunk(deps, onDemand(message), options);
  if (await pausesForBudget(deps, job)) return { status: 'paused' };
  const record = await recordInput(deps, message, job);
  if (!record) return runChunk(deps, onDemand(message), options);
  if (record.state === 'waiting') await trySubmit(deps, record);
  return { status: 'handed_off' };
}

/** The chunk as an on-demand chunk: same lines, no batch route. */
export function onDemand(message: ChunkMessage): ChunkMessage {
  const { batch: _batch, ...chunk } = message.chunk;
  return { ...message, chunk };
}

/**
 * Writes the chunk's Bedrock input file and records it `waiting`; undefined when a line
 * cannot go to batch inference (the input changed under the job): the chunk then runs on demand.
 */
async function recordInput(deps: BatchInferenceDeps, message: ChunkMessage, job: Job): Promise<BatchInferenceRecord | undefined> {
  const { chunk } = message;
  const batch = chunk.batch!;
  const context = lineContextOf(message, job, deps.router);
  const inputKey = batchInferenceKeys.input(job.id, chunk.index);
  // Streamed to S3 as it is read: a Bedrock job's file may hold 50,000 records.
  const input = new JsonlPartWriter(deps.objects, job.source.bucket, inputKey);
  try {
    for await (const line of chunkRequestLines(deps.objects, message, deps.maxLineBytes)) {
      const parsed = parseChunkLine(deps.parseLine ?? parseBatchLine, deps.maxLineBytes, line, context);
      if (!parsed.ok || parsed.model !== batch.model || !isBatchable(parsed)) {
        logger.warn('a line of a Bedrock batch chunk cannot go to batch inference; the chunk runs on demand', {
          jobId: job.id,
          chunk: chunk.index,
          line: line.lineNumber,
        });
        await input.abort(new Error('not a batch line'));
        return undefined;
      }
      const { model: _model, ...modelInput } = parsed.body;
      await input.writeLine({ recordId: assignedRecordId(parsed.lineNumber), modelInput });
    }
  } catch (error) {
    await input.abort(error instanceof Error ? error : new Error(String(error)));
    if (isInputLost(error)) return undefined;
    throw error;
  }
  await input.close();
  const record: BatchInferenceRecord = {
    jobId: job.id,
    tenantId: job.tenantId,
    chunkIndex: chunk.index,
    jobName: batchJobName(job.id, chunk.index),
    model: batch.model,
    backendId: batch.backendId,
    bedrockModel: batch.bedrockModel,
    records: input.lines,
    bucket: job.source.bucket,
    inputKey,
    outputPrefix: batchInferenceKeys.output(job.id, chunk.index),
    state: 'waiting',
    createdAt: Math.floor(deps.now() / 1000),
  };
  if (await deps.batchJobs.create(record)) return record;
  // Another delivery recorded it first (same file, same key): its record counts.
  return deps.batchJobs.get(job.id, chunk.index);
}

/** The token that makes a chunk's submission idempotent: the same for every attempt of the chunk. */
export function clientRequestToken(record: Pick<BatchInferenceRecord, 'jobId' | 'chunkIndex'>): string {
  return createHash('sha256').update(`${record.jobId}:${record.chunkIndex}`).digest('hex');
}

/**
 * Submits a waiting chunk if its model has a free slot (the route's `maxConcurrentJobs`)
 * and Bedrock takes it. Bedrock refusing for its own quota or throttling leaves it
 * waiting, slot given back: it never fails for that. Returns the chunk's state after.
 */
export async function trySubmit(deps: BatchInferenceDeps, record: BatchInferenceRecord): Promise<'waiting' | 'submitted'> {
  const target = batchTargetOf(deps.router.model(record.model, 'chat'));
  if (!target) throw new Error(`Model ${record.model} no longer has a batch route; chunk ${record.chunkIndex} of ${record.jobId} waits.`);
  if (!(await deps.batchJobs.acquireSlot(record.bedrockModel, record.jobName, target.route.maxConcurrentJobs))) return 'waiting';
  let jobArn: string;
  try {
    ({ jobArn } = await deps.bedrock.create({
      jobName: record.jobName,
      clientRequestToken: clientRequestToken(record),
      bedrockModel: record.bedrockModel,
      inputUri: `s3://${record.bucket}/${record.inputKey}`,
      outputUri: `s3://${record.bucket}/${record.outputPrefix}`,
      timeoutHours: target.route.timeoutHours,
    }));
  } catch (error) {
    await deps.batchJobs.releaseSlot(record.bedrockModel, record.jobName);
    if (error instanceof BackendThrottledError) {
      logger.info('Bedrock is at its batch inference quota; the chunk waits for a slot', { jobId: record.jobId, chunk: record.chunkIndex });
      return 'waiting';
    }
    throw error;
  }
  await deps.batchJobs.markSubmitted(record.jobId, record.chunkIndex, jobArn, new Date(deps.now()));
  logger.info('Bedrock batch inference job submitted', { jobId: record.jobId, chunk: record.chunkIndex, jobArn, records: record.records });
  return 'submitted';
}
