import { readFileSync } from 'node:fs';
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
