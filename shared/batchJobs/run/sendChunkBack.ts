import { logger } from '../../observability/logger';
import type { ChunkMessage } from '../job/Job';
import type { DeliveryControl } from '../../domain/ports';
import { retryDelaySeconds, type RetryCause } from './retryPace';

/** What sending a chunk back needs. */
export interface SendChunkBackDeps {
  delivery: DeliveryControl;
  /** Defaults to Math.random (the jitter). */
  random?: () => number;
}

/** The delivery being sent back. */
export interface ChunkDelivery {
  message: ChunkMessage;
  receiptHandle: string;
  /** This delivery's ApproximateReceiveCount. */
  receiveCount: number;
  cause: RetryCause;
}

/**
 * Sets when a chunk going back to the queue is delivered again, at the pace of its cause
 * ({@link retryDelaySeconds}), and logs it at WARN with job, chunk and cause. The caller
 * then reports the message as a batch item failure: SQS keeps the visibility set here
 * (never longer than the queue's visibility timeout).
 * If the change fails the chunk still goes back, after the queue's visibility timeout
 * (logged too). Returns the delay set, in seconds (undefined when it could not be set).
 */
export async function sendChunkBack(deps: SendChunkBackDeps, delivery: ChunkDelivery): Promise<number | undefined> {
  const { message, cause, receiveCount } = delivery;
  const wanted = retryDelaySeconds(cause, receiveCount, deps.random);
  const fields = { jobId: message.jobId, chunk: message.chunk.index, cause, receiveCount };
  let delaySeconds: number;
  try {
    delaySeconds = await deps.delivery.returnAfter(delivery.receiptHandle, wanted);
  } catch (error) {
    logger.warn("chunk sent back; its retry delay could not be set, it comes back after the queue's visibility timeout", {
      ...fields,
      delaySeconds: wanted,
      error,
    });
    return undefined;
  }
  logger.warn('chunk sent back', { ...fields, delaySeconds });
  return delaySeconds;
}
