import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../observability/logger';

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
 * where batching pays), and that report failures per message themselves. The response is
 * Lambda's partial batch response (`ReportBatchItemFailures`). If the handler throws, every
 * message is reported failed: nothing is acknowledged that may not have been handled.
 */
export function sqsBatchAll(handle: WholeBatchHandler): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  return async (event, context) => {
    logger.addContext(context);
    const messages = event.Records.map(receivedMessageOf);
    let failed: Iterable<string>;
    try {
      failed = await handle(messages, context);
    } catch (error) {
      logger.error('batch handler failed; every message of the batch goes back to the queue', { error, messages: messages.length });
      failed = messages.map((message) => message.messageId);
    }
    const known = new Set(messages.map((message) => message.messageId));
    // Lambda fails the WHOLE batch if a response names an id that is not in it.
    const itemIdentifiers = [...new Set(failed)].filter((id) => known.has(id));
    if (itemIdentifiers.length > 0)
      logger.error('messages go back to the queue (retried, then the DLQ)', { messageIds: itemIdentifiers, messages: messages.length });
    return { batchItemFailures: itemIdentifiers.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** A Lambda SQS record as a {@link ReceivedMessage}. */
export function receivedMessageOf(record: SQSRecord): ReceivedMessage {
  const attributes: Record<string, MessageAttribute> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    attributes[name] = {
      dataType: value.dataType,
      ...(value.stringValue !== undefined ? { stringValue: value.stringValue } : {}),
      ...(value.binaryValue !== undefined ? { binaryValue: value.binaryValue } : {}),
    };
  }
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
  return {
    messageId: record.messageId,
    body: record.body,
    attributes,
    receiveCount: Number.isFinite(receiveCount) && receiveCount > 0 ? receiveCount : 1,
  };
}
