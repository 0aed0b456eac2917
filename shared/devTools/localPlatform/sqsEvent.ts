import type { Message } from '@aws-sdk/client-sqs';
import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';

/**
 * A received message as Lambda's SQS event source hands it to a function: system
 * attributes as strings, message attributes in Lambda's lower-camel shape (binary as
 * base64, the unused list fields empty), and the queue's ARN and region.
 */
export function sqsRecordFrom(message: Message, queue: { arn: string; region: string }): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType ?? 'String',
    };
  }
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...pick(attributes, ['SequenceNumber', 'MessageGroupId', 'MessageDeduplicationId', 'AWSTraceHeader', 'DeadLetterQueueSourceArn']),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: queue.region,
  };
  if (message.MD5OfMessageAttributes) {
    // Lambda puts it after md5OfBody; key order only matters to people reading logs.
    const { eventSource, eventSourceARN, awsRegion, ...head } = record;
    return { ...head, md5OfMessageAttributes: message.MD5OfMessageAttributes, eventSource, eventSourceARN, awsRegion };
  }
  return record;
}

/** What to do with a batch once the function has answered. */
export type BatchOutcome = { kind: 'success' } | { kind: 'partial'; failedMessageIds: string[] } | { kind: 'failure'; reason: string };

/**
 * How Lambda reads a function's answer to an SQS batch. Without ReportBatchItemFailures
 * any answer is success. With it: null, an empty string, `{}` or an empty
 * `batchItemFailures` are success; listed `itemIdentifier`s fail alone; a response that
 * is not such an object, or names an identifier that is empty or not in the batch,
 * fails the whole batch.
 */
export function batchOutcomeOf(response: unknown, messageIds: string[], reportBatchItemFailures: boolean): BatchOutcome {
  if (!reportBatchItemFailures || response === null || response === undefined || response === '') return { kind: 'success' };
  if (typeof response !== 'object' || Array.isArray(response))
    return { kind: 'failure', reason: `the response ${JSON.stringify(response)} is not a batch response` };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const known = new Set(messageIds);
  const failedMessageIds = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !known.has(id)) {
      return { kind: 'failure', reason: `batchItemFailures names ${JSON.stringify(id ?? null)}, which is not a message of this batch` };
    }
    failedMessageIds.add(id);
  }
  return { kind: 'partial', failedMessageIds: [...failedMessageIds] };
}

function pick(source: Record<string, string | undefined>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((key) => (source[key] !== undefined ? [[key, source[key]!]] : [])));
}
