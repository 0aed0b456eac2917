import { SqsRecordSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type * as z from 'zod';
import { logger } from '../observability/logger';

/** An SQS record as Powertools' parser gives it back, checked against Lambda's record shape. */
export type SqsRecord = z.infer<typeof SqsRecordSchema>;

/** A message attribute as the sender set it; binary values in base64, as Lambda hands them over. */
export interface MessageAttribute {
  dataType: string;
  stringValue?: string;
  binaryValue?: string;
}

/** One received message, with only what a use case needs of the SQS record. */
export interface ReceivedMessage {
  messageId: string;
  body: string;
  /** The sender's message attributes, by name. */
  attributes: Record<string, MessageAttribute>;
  /** How many times SQS has handed this message out, this time included (1 on the first). */
  receiveCount: number;
}

/**
 * Handles a whole batch at once and names the messages to hand back to the queue (they are
 * redelivered after the visibility timeout, and past the redrive count land in the DLQ).
 */
export type WholeBatchHandler = (messages: ReceivedMessage[], context: Context) => Promise<Iterable<string>>;

/**
 * The variant of {@link sqsBatchHandler} for consumers that must see every message of the
 * batch together (the queue entry groups all of them into one batching-core run, which is
 * where batching pays), and that report failures per message themselves. Each record is
 * first parsed with Powertools' SQS record schema; one that does not parse is reported
 * failed on its own (it ends in the DLQ) and never reaches the handler. The response is
 * Lambda's partial batch response (`ReportBatchItemFailures`). If the handler throws, every
 * message is reported failed: nothing is acknowledged that may not have been handled.
 */
export function sqsBatchAll(handle: WholeBatchHandler): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  return async (event, context) => {
    logger.addContext(context);
    const messages: ReceivedMessage[] = [];
    const malformed: string[] = [];
    for (const record of event.Records) {
      const parsed = SqsRecordSchema.safeParse(record);
      if (parsed.success) messages.push(receivedMessageOf(parsed.data));
      else {
        logger.error('malformed message; it goes back to the queue and ends in the DLQ', {
          messageId: record.messageId,
          issue: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
        });
        malformed.push(record.messageId);
      }
    }
    let failed: Iterable<string> = [];
    try {
      if (messages.length > 0) failed = await handle(messages, context);
    } catch (error) {
      logger.error('batch handler failed; every message of the batch goes back to the queue', { error, messages: messages.length });
      failed = messages.map((message) => message.messageId);
    }
    const known = new Set(event.Records.map((record) => record.messageId));
    // Lambda fails the WHOLE batch if a response names an id that is not in it.
    const itemIdentifiers = [...new Set([...malformed, ...failed])].filter((id) => known.has(id));
    if (itemIdentifiers.length > 0)
      logger.error('messages go back to the queue (retried, then the DLQ)', {
        messageIds: itemIdentifiers,
        messages: event.Records.length,
      });
    return { batchItemFailures: itemIdentifiers.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** A parsed SQS record as a {@link ReceivedMessage}. */
export function receivedMessageOf(record: SqsRecord): ReceivedMessage {
  const attributes: Record<string, MessageAttribute> = {};
  for (const [name, value] of Object.entries(record.messageAttributes)) {
    attributes[name] = {
      dataType: value.dataType,
      ...(typeof value.stringValue === 'string' ? { stringValue: value.stringValue } : {}),
      ...(typeof value.binaryValue === 'string' ? { binaryValue: value.binaryValue } : {}),
    };
  }
  const receiveCount = Number(record.attributes.ApproximateReceiveCount);
  return {
    messageId: record.messageId,
    body: record.body,
    attributes,
    receiveCount: Number.isFinite(receiveCount) && receiveCount > 0 ? receiveCount : 1,
  };
}
