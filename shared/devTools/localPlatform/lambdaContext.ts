import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** The account id the local platform reports wherever AWS would put the real one. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** What a local invocation's context is built from. */
export interface LambdaContextOptions {
  /** Deployed function name, `<service>-<stage>-<key>`. */
  functionName: string;
  memorySize: number;
  timeoutSeconds: number;
  region?: string;
  /** When the invocation started; the deadline is this plus the timeout. Default: now. */
  startedAt?: number;
  awsRequestId?: string;
  /** Where the legacy `done`/`succeed`/`fail` calls go (the runtime's callback). */
  onDone?: (error: unknown, result?: unknown) => void;
}

/**
 * A Lambda `Context` for one invocation, as the Node.js runtime builds it. Code that
 * budgets its work by `getRemainingTimeInMillis()` (the batching core stops taking work
 * before the deadline) sees the same clock as in Lambda: the function's timeout,
 * counted from the start of this invocation.
 */
export function createLambdaContext(options: LambdaContextOptions): Context {
  const startedAt = options.startedAt ?? Date.now();
  const deadline = startedAt + options.timeoutSeconds * 1000;
  const region = options.region ?? 'us-east-1';
  const onDone = options.onDone ?? (() => undefined);
  const day = new Date(startedAt).toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${options.functionName}`,
    memoryLimitInMB: String(options.memorySize),
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: (error?: Error, result?: unknown) => onDone(error ?? undefined, result),
    fail: (error: Error | string) => onDone(typeof error === 'string' ? new Error(error) : error),
    succeed: (messageOrObject: unknown) => onDone(undefined, messageOrObject),
  };
}
