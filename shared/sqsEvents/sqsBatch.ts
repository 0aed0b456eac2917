import { BatchProcessor, EventType, ParsingError, processPartialResponse, type ParsedRecord } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
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

/** An SQS record whose body has been parsed (JSON, then the queue's schema) by Powertools' parser. */
export type ParsedSqsRecord<Body> = ParsedRecord<SQSRecord, Body>;

/**
 * The one place queue messages meet the batch processor (Powertools). Each record is
 * parsed by Powertools' parser (the SQS record schema, its body JSON then `body`) and
 * handled on its own; a record that does not parse, and one whose handler throws, is
 * reported as a batch item failure so only it comes back, never the whole batch. A body
 * that is not what the queue carries fails on every receive: after the queue's redrive
 * count it lands in the dead-letter queue (which alarms), where it can be looked at; it is
 * never silently dropped.
 */
export function sqsBatchHandler<S extends z.ZodType>(
  body: S,
  handle: (message: z.infer<S>, record: ParsedSqsRecord<z.infer<S>>, context: Context) => Promise<void>,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  return async (event, context) => {
    logger.addContext(context);
    const processor = new BatchProcessor(EventType.SQS, { parser, innerSchema: body, transformer: 'json', logger });
    const response = await processPartialResponse(
      event,
      (record: ParsedSqsRecord<z.infer<S>>) => handle(record.body, record, context),
      processor,
      { context, throwOnFullBatchFailure: false },
    );
    // The processor keeps each failed record beside its error, in the same order.
    for (const [i, record] of processor.failureMessages.entries()) logFailure(record as SQSRecord, processor.errors[i]);
    return response;
  };
}

/** One ERROR line per message that goes back, naming it (a RetryLaterError's thrower has said why already). */
function logFailure(record: SQSRecord, error: Error | undefined): void {
  if (error instanceof RetryLaterError) return;
  if (error instanceof ParsingError) {
    logger.error('malformed message; it goes back to the queue and ends in the DLQ', { messageId: record.messageId, issue: error.message });
    return;
  }
  logger.error('message failed; it goes back to the queue (retried, then the DLQ)', {
    messageId: record.messageId,
    receiveCount: record.attributes?.ApproximateReceiveCount,
    error,
  });
}
