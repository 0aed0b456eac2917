import { createDeliveryControl } from '../../shared/wiring/batchJobs';
import { createRunChunkDeps } from '../../shared/wiring/chunkRuns';
import { returnFleetLeases } from '../../shared/wiring/fleetBudget';
import { loadConfig } from '../../shared/config/config';
import { ChunkMessage } from '../../shared/batchJobs/job/Job';
import { submitBatchChunk } from '../../shared/batchJobs/batchInference/submitBatchChunk';
import type { BatchInferenceDeps } from '../../shared/batchJobs/batchInference/types';
import { runChunk } from '../../shared/batchJobs/run/runChunk';
import { sendChunkBack, type SendChunkBackDeps } from '../../shared/batchJobs/run/sendChunkBack';
import type { RunChunkDeps } from '../../shared/batchJobs/run/types';
import { logger } from '../../shared/observability/logger';
import { withMetrics } from '../../shared/observability/withMetrics';
import { RetryLaterError, sqsBatchHandler } from '../../shared/sqsEvents/sqsBatch';

/** Time kept back from the Lambda deadline to write the part files and record the chunk. */
const WRITE_RESERVE_MS = 5_000;

/**
 * Worker: runs chunks through the batching core. A chunk it cannot finish (the deadline,
 * a backend down or throttling, the job still being ingested) goes back to the queue,
 * due again at the pace of its cause (seconds to minutes, with jitter), not after the
 * queue's whole visibility timeout.
 */
export const createHandler = (deps: RunChunkDeps | BatchInferenceDeps, maxReceiveCount: number, sendBack: SendChunkBackDeps) =>
  sqsBatchHandler(ChunkMessage, async (message, record, context) => {
    const deadline = Date.now() + context.getRemainingTimeInMillis() - WRITE_RESERVE_MS;
    const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
    const options = { deadline, canRetry: receives < maxReceiveCount };
    // A Bedrock batch chunk is submitted to batch inference, where the route is deployed; otherwise it runs on demand.
    const result =
      message.chunk.batch && 'bedrock' in deps ? await submitBatchChunk(deps, message, options) : await runChunk(deps, message, options);
    logger.info('chunk handled', { jobId: message.jobId, chunk: message.chunk.index, status: result.status, ...result.counts });
    if (result.status !== 'retry_later') return;
    const cause = result.cause ?? 'deadline';
    await sendChunkBack(sendBack, { message, receiptHandle: record.receiptHandle, receiveCount: receives, cause });
    throw new RetryLaterError(`Chunk ${message.chunk.index} of ${message.jobId} goes back to the queue (${cause})`);
  });

const config = loadConfig();
// Where the route is deployed (a service role), a Bedrock batch chunk is submitted to batch inference.
// The leases of the GPU pools go back when the invocation ends, not when a frozen container's lease lapses.
export const handler = withMetrics(
  createHandler(config.bedrockBatchRoleArn ? createRunChunkDeps(config, true) : createRunChunkDeps(config), config.workMaxReceiveCount, {
    delivery: createDeliveryControl(config.workQueueUrl, 'WORK_QUEUE_URL'),
  }),
  returnFleetLeases(),
);
