import { round } from '../stats';

/**
 * AWS list prices (us-east-1, on-demand, no free tier) the suite prices a job's calls at.
 * They are stated in BENCHMARKS.md; change them here if they move.
 */
export const PRICES_USD = {
  /** SQS standard queue, per request (each 64 KiB of payload is one request). */
  sqsRequest: 0.4 / 1e6,
  /** DynamoDB on-demand, per write request unit (1 KiB) and read request unit (4 KiB, strongly consistent). */
  dynamoDbWriteUnit: 0.625 / 1e6,
  dynamoDbReadUnit: 0.125 / 1e6,
  /** S3 Standard: PUT, COPY, POST, LIST requests; GET, HEAD and the other requests. DELETE is free. */
  s3PutClass: 0.005 / 1e3,
  s3GetClass: 0.0004 / 1e3,
  /** EventBridge custom events, per event. */
  eventBridgeEvent: 1.0 / 1e6,
  /** Lambda requests (invocations), per request; compute time is not priced here. */
  lambdaRequest: 0.2 / 1e6,
} as const;

const S3_PUT_CLASS = new Set([
  'PutObject',
  'CopyObject',
  'CreateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'ListObjects',
  'ListObjectsV2',
  'ListParts',
  'ListMultipartUploads',
]);
const S3_FREE = new Set(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload']);
const DYNAMO_READS = new Set(['Get', 'GetItem', 'Query', 'Scan', 'BatchGet', 'BatchGetItem']);

/** What one job's calls come to, per request and per million requests. */
export interface JobCallCost {
  requests: number;
  /** Every counted call of the job, by `Service.Command`, and the counter's details (`#…`). */
  calls: Record<string, number>;
  perRequest: {
    sqsRequests: number;
    dynamoDbWrites: number;
    dynamoDbWriteUnits: number;
    dynamoDbReads: number;
    s3PutClass: number;
    s3GetClass: number;
    eventBridgeEvents: number;
    lambdaInvocations: number;
  };
  /** USD per million requests, by service, and in all. */
  usdPerMillionRequests: Record<'sqs' | 'dynamodb' | 's3' | 'eventbridge' | 'lambdaRequests' | 'total', number>;
  /** Empty ReceiveMessage calls seen while the job ran: idle polling, a fixed cost per queue, not priced per request. */
  idleReceives: number;
}

/** Prices the difference of two counter snapshots taken around one job of `requests` requests. */
export function priceJob(before: Record<string, number>, after: Record<string, number>, requests: number): JobCallCost {
  const calls: Record<string, number> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const delta = (after[key] ?? 0) - (before[key] ?? 0);
    if (delta !== 0) calls[key] = delta;
  }
  const sum = (filter: (service: string, command: string) => boolean) =>
    Object.entries(calls).reduce((total, [key, count]) => {
      const [service = '', command = ''] = key.split('.');
      // Keys starting with '#' are details (write units, messages, empty receives), not calls.
      return !key.startsWith('#') && filter(service, command) ? total + count : total;
    }, 0);
  const idleReceives = calls['#SQS.ReceiveMessage.empty'] ?? 0;
  const sqsRequests = sum((service) => service === 'SQS') - idleReceives;
  const dynamoDbReads = sum((service, command) => service === 'DynamoDB' && DYNAMO_READS.has(command));
  const dynamoDbWrites = sum(
    (service, command) =>
      service === 'DynamoDB' && !DYNAMO_READS.has(command) && !command.startsWith('Describe') && !command.startsWith('List'),
  );
  const dynamoDbWriteUnits = calls['#DynamoDB.writeUnits'] ?? dynamoDbWrites;
  const s3PutClass = sum((service, command) => service === 'S3' && S3_PUT_CLASS.has(command));
  const s3GetClass = sum((service, command) => service === 'S3' && !S3_PUT_CLASS.has(command) && !S3_FREE.has(command));
  const eventBridgeEvents = sum((service, command) => service === 'EventBridge' && command === 'PutEvents');
  // Each receive that returned messages is one invocation of the function behind the queue.
  const lambdaInvocations = calls['#SQS.ReceiveMessage.withMessages'] ?? 0;
  const per = (n: number) => n / requests;
  const million = 1e6;
  const usd = {
    sqs: per(sqsRequests) * PRICES_USD.sqsRequest * million,
    dynamodb: (per(dynamoDbWriteUnits) * PRICES_USD.dynamoDbWriteUnit + per(dynamoDbReads) * PRICES_USD.dynamoDbReadUnit) * million,
    s3: (per(s3PutClass) * PRICES_USD.s3PutClass + per(s3GetClass) * PRICES_USD.s3GetClass) * million,
    eventbridge: per(eventBridgeEvents) * PRICES_USD.eventBridgeEvent * million,
    lambdaRequests: per(lambdaInvocations) * PRICES_USD.lambdaRequest * million,
  };
  const total = usd.sqs + usd.dynamodb + usd.s3 + usd.eventbridge + usd.lambdaRequests;
  return {
    requests,
    calls,
    perRequest: {
      sqsRequests: round(per(sqsRequests), 5),
      dynamoDbWrites: round(per(dynamoDbWrites), 5),
      dynamoDbWriteUnits: round(per(dynamoDbWriteUnits), 5),
      dynamoDbReads: round(per(dynamoDbReads), 5),
      s3PutClass: round(per(s3PutClass), 5),
      s3GetClass: round(per(s3GetClass), 5),
      eventBridgeEvents: round(per(eventBridgeEvents), 6),
      lambdaInvocations: round(per(lambdaInvocations), 5),
    },
    usdPerMillionRequests: {
      sqs: round(usd.sqs, 4),
      dynamodb: round(usd.dynamodb, 4),
      s3: round(usd.s3, 4),
      eventbridge: round(usd.eventbridge, 4),
      lambdaRequests: round(usd.lambdaRequests, 4),
      total: round(total, 4),
    },
    idleReceives,
  };
}
