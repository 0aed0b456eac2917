import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from 'zod';
import { logger } from '../observability/logger';

/** Thrown by a record handler to send its message back to the queue (retried, then the DLQ). */
export class RetryLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** A message the queue should never carry; it goes to the dead-letter queue. */
export class MalformedMessageError extends Error {
  constructor(messageId: string, detail: string) {
    super(`Message ${messageId} is not one this queue carries: ${detail}`);
    this.name = 'MalformedMessageError';
  }
}

/**
 * The one place queue messages meet the batch processor (Powertools): each record is
 * handled on its own, and the ones whose handler throws are reported as batch item
 * failures so only they come back. A body that is not what the queue carries fails too:
 * after the queue's redrive count it lands in the dead-letter queue (which alarms), where
 * it can be looked at; it is never silently dropped.
 */
export function sqsBatchHandler<S extends z.ZodType>(
  schema: S,
  handle: (message: z.infer<S>, record: SQSRecord, context: Context) => Promise<void>,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  return async (event, context) => {
    logger.addContext(context);
    const processor = new BatchProcessor(EventType.SQS);
    return processPartialResponse(
      event,
      async (record: SQSRecord) => {
        let json: unknown;
        try {
          json = JSON.parse(record.body);
        } catch {
          logger.error('malformed message; it goes back to the queue and ends in the DLQ', {
            messageId: record.messageId,
            issue: 'the body is not JSON',
          });
          throw new MalformedMessageError(record.messageId, 'the body is not JSON');
        }
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
          logger.error('malformed message; it goes back to the queue and ends in the DLQ', {
            messageId: record.messageId,
            issue: parsed.error.issues[0]?.message,
          });
          throw new MalformedMessageError(record.messageId, parsed.error.issues[0]?.message ?? 'unknown shape');
        }
        try {
          await handle(parsed.data, record, context);
        } catch (error) {
          // A RetryLaterError's thrower has said why already (with the job's id).
          if (!(error instanceof RetryLaterError))
            logger.error('message failed; it goes back to the queue (retried, then the DLQ)', {
              messageId: record.messageId,
              receiveCount: record.attributes?.ApproximateReceiveCount,
              error: error as Error,
            });
          throw error;
        }
      },
      processor,
      { context, throwOnFullBatchFailure: false },
    );
  };
}
