import { readFileSync } from 'node:fs';
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
    done: () => undefined, fail: () => undefined, succeed: () => undefined,
  };
}
