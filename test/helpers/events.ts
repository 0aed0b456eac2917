import { readFileSync } from 'node:fs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { collectStreamedResponse, isStreamingHandler } from '../../shared/devTools/localPlatform/httpResponseStream';
import { join } from 'node:path';

/** A sample event from `events/`, deep-copied so a test can change it freely. */
export function loadEvent<T = any>(relativePath: string): T {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', relativePath), 'utf8')) as T;
}

/** A Lambda context with `remainingMs` left. */
export function lambdaContext(remainingMs = 29_000): any {
  const start = Date.now();
  return {
    awsRequestId: 'req-test-1',
    functionName: 'inference-platform-test-fn',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:inference-platform-test-fn',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/inference-platform-test-fn',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs - (Date.now() - start),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The caller the authorizer named, as a REST API puts it in `requestContext.authorizer`; `undefined`: none. */
export function setTenant(event: any, tenantId: string | undefined, keyId = `key-${tenantId}`): any {
  event.requestContext.authorizer = tenantId === undefined ? null : { principalId: tenantId, tenantId, keyId, integrationLatency: 1 };
  return event;
}

/**
 * Invokes an HTTP handler as Lambda would and answers its proxy result: a buffered
 * handler is called as is; a response-streaming one (awslambda.streamifyResponse) is run
 * with a response stream, and its prelude and body are collected as API Gateway reads them.
 */
export async function invokeHandler(
  handler: (...args: any[]) => any,
  event: unknown,
  context: unknown = lambdaContext(),
): Promise<{ statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded?: boolean; chunks?: string[] }> {
  if (!isStreamingHandler(handler)) return handler(event, context);
  return collectStreamedResponse(handler, event, context);
}

/** An SQS record as Lambda's event source hands it over (every field it sets), carrying `body`. */
export function sqsRecord(messageId: string, body: string, options: { receiveCount?: number; receiptHandle?: string } = {}): SQSRecord {
  return {
    messageId,
    receiptHandle: options.receiptHandle ?? `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: '1795888800000',
      SenderId: 'AROAEXAMPLE:sender',
      ApproximateFirstReceiveTimestamp: '1795888800050',
    },
    messageAttributes: {},
    md5OfBody: '6a1b2c3d4e5f60718293a4b5c6d7e8f9',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:inference-platform-test',
    awsRegion: 'us-east-1',
  };
}

/** An SQS event of `records`. */
export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/**
 * The body S3 sends to a queue for an ObjectCreated:Put of `key` (event version 2.1, the
 * key URL-encoded as S3 writes it: spaces as `+`, slashes kept).
 */
export function s3DropNotification(bucket: string, key: string, eTag: string): string {
  const event = loadEvent<{ Records: { body: string }[] }>('sqs/ingestDrop.json');
  const notification = JSON.parse(event.Records[0]!.body);
  const record = notification.Records[0];
  record.s3.bucket = { ...record.s3.bucket, name: bucket, arn: `arn:aws:s3:::${bucket}` };
  record.s3.object = { ...record.s3.object, key: new URLSearchParams({ k: key }).toString().slice(2).replace(/%2F/gi, '/'), eTag };
  return JSON.stringify(notification);
}
