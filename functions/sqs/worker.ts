import { randomUUID } from 'node:crypto';
import { createJobStore, createMessageSender, createObjectStore } from '../../shared/aws/adapters';
import { loadConfig } from '../../shared/config/config';
import { createInferenceRuntime } from '../../shared/inference/createInferenceService';
import { ChunkMessage, type FinalizeMessage } from '../../shared/jobs/Job';
import { runChunk, type RunChunkDeps } from '../../shared/jobs/processing';
import { logger } from '../../shared/observability/logger';
import { RetryLaterError, sqsBatchHandler } from '../../shared/queues/sqsBatch';

/** Time kept back from the Lambda deadline to write the part files and record the chunk. */
const WRITE_RESERVE_MS = 5_000;

/** Worker: runs chunks through the batching core; a chunk it cannot finish in time goes back to the queue. */
export const createHandler = (deps: RunChunkDeps, maxReceiveCount: number) =>
  sqsBatchHandler(ChunkMessage, async (message, record, context) => {
    const deadline = Date.now() + context.getRemainingTimeInMillis() - WRITE_RESERVE_MS;
    const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
    const result = await runChunk(deps, message, { deadline, canRetry: receives < maxReceiveCount });
    logger.info('chunk handled', { jobId: message.jobId, chunk: message.chunk.index, status: result.status, ...result.counts });
    if (result.status === 'retry_later') throw new RetryLaterError(`Chunk ${message.chunk.index} of ${message.jobId} did not finish before the deadline`);
  });

const config = loadConfig();
const { router, core } = createInferenceRuntime(config);
export const handler = createHandler({
  jobs: createJobStore(config),
  objects: createObjectStore(),
  finalize: createMessageSender<FinalizeMessage>(config.finalizeQueueUrl, 'FINALIZE_QUEUE_URL'),
  core,
  router,
  maxLineBytes: config.limits.maxLineBytes,
  newAttemptId: () => randomUUID(),
  now: Date.now,
}, config.workMaxReceiveCount);
