import { join, sep } from 'node:path';
import { FunctionTimeoutError, InjectedCrashError, LocalPlatformError } from './errors';
import { createResponseStream, installAwsLambdaGlobal, isStreamingHandler, type ResponseStream } from './httpResponseStream';
import { createLambdaContext } from './lambdaContext';
import type { FunctionConfig } from './serverlessConfig';

// The Lambda Node.js runtime gives every function the `awslambda` global; streaming
// handlers (awslambda.streamifyResponse) call it as their module loads.
installAwsLambdaGlobal();

/** A Lambda handler as the Node.js runtime calls it (promise or callback style). */
export type LambdaHandler = (
  event: unknown,
  context: ReturnType<typeof createLambdaContext>,
  callback: (error?: unknown, result?: unknown) => void,
) => unknown;

/** A function the local runtime can invoke: its Lambda settings and a way to get its handler. */
export interface LocalFunction {
  /** Deployed name, `<service>-<stage>-<key>`: what the context reports. */
  functionName: string;
  timeoutSeconds: number;
  memorySize: number;
  region?: string;
  /** Resolves the handler; called on each invocation, so it must cache (see {@link localFunctionFrom}). */
  loadHandler(): Promise<LambdaHandler>;
}

/**
 * A {@link LocalFunction} for a function of serverless.yml. Its module is required on
 * first use only and then kept, like a warm Lambda: loading is deferred so the handler's
 * module scope (clients, configuration) reads the environment the platform set up. Under
 * tsx (npm start) and ts-jest, `require` of the TypeScript source works as is.
 */
export function localFunctionFrom(config: FunctionConfig, options: { rootDir: string; region?: string }): LocalFunction {
  let handler: Promise<LambdaHandler> | undefined;
  return {
    functionName: config.functionName,
    timeoutSeconds: config.timeoutSeconds,
    memorySize: config.memorySize,
    ...(options.region ? { region: options.region } : {}),
    loadHandler: () => (handler ??= Promise.resolve().then(() => requireHandler(config, options.rootDir))),
  };
}

function requireHandler(config: FunctionConfig, rootDir: string): LambdaHandler {
  const modulePath = join(rootDir, config.handlerModule);
  const cachedBefore = new Set(Object.keys(require.cache));
  let loaded: Record<string, unknown>;
  try {
    loaded = require(modulePath) as Record<string, unknown>;
  } catch (cause) {
    throw new LocalPlatformError(`Cannot load ${config.handlerModule} for function ${config.name}: ${(cause as Error).message}`, {
      code: 'HANDLER_LOAD',
      cause,
    });
  } finally {
    forgetProjectModules(cachedBefore);
  }
  const handler = loaded[config.handlerExport];
  if (typeof handler !== 'function') {
    throw new LocalPlatformError(`${config.handlerModule} has no exported function "${config.handlerExport}" (function ${config.name})`, {
      code: 'HANDLER_LOAD',
    });
  }
  return handler as LambdaHandler;
}

/**
 * Each Lambda function has its own module instances (its own bundle and environment);
 * here all share one process. Dropping the project modules this load added from the
 * require cache gives the next function fresh ones, so module-scope state (a logger's
 * Lambda context, an in-memory cache) is never shared between functions. Packages under
 * node_modules stay shared: they are large and hold no per-function state of ours.
 */
function forgetProjectModules(cachedBefore: Set<string>): void {
  for (const key of Object.keys(require.cache)) {
    if (!cachedBefore.has(key) && !key.includes(`${sep}node_modules${sep}`)) delete require.cache[key];
  }
}

/** Options of one {@link invokeLocalFunction}. */
export interface InvokeOptions {
  /**
   * Fault injection: if the handler is still running this many milliseconds in, the
   * invocation dies, rejecting with {@link InjectedCrashError} as a timeout would (the
   * response is lost, the handler runs on).
   */
  crashAfterMs?: number;
}

/**
 * Invokes a function as Lambda would and resolves with its result, passed through JSON
 * both ways as on the wire (so a handler sees a fresh event and `undefined` fields vanish).
 * Past the function's timeout it rejects with {@link FunctionTimeoutError}; the handler
 * itself cannot be stopped in-process and runs on, which Lambda would have frozen.
 */
export async function invokeLocalFunction(fn: LocalFunction, event: unknown, options: InvokeOptions = {}): Promise<unknown> {
  const handler = await fn.loadHandler();
  if (isStreamingHandler(handler)) {
    throw new LocalPlatformError(
      `${fn.functionName} streams its response (awslambda.streamifyResponse); it needs a streaming invocation (a REST integration with ResponseTransferMode STREAM)`,
      { code: 'STREAMING_HANDLER' },
    );
  }
  const payload: unknown = JSON.parse(JSON.stringify(event));
  let timer: NodeJS.Timeout | undefined;
  const { crashAfterMs } = options;
  const timedOut = new Promise<never>((_, reject) => {
    timer =
      crashAfterMs !== undefined && crashAfterMs < fn.timeoutSeconds * 1000
        ? setTimeout(() => reject(new InjectedCrashError(fn.functionName, crashAfterMs)), crashAfterMs)
        : setTimeout(() => reject(new FunctionTimeoutError(fn.functionName, fn.timeoutSeconds)), fn.timeoutSeconds * 1000);
  });
  const run = new Promise<unknown>((resolve, reject) => {
    const callback = (error?: unknown, result?: unknown) => (error ? reject(error) : resolve(result));
    const context = createLambdaContext({ ...fn, onDone: callback });
    const returned = handler(payload, context, callback);
    if (isPromiseLike(returned)) returned.then(resolve, reject);
    // The runtime ignores what a non-async handler returns: without a callback it answers
    // null once the event loop is empty, which is as soon as we can tell here.
    else if (handler.length < 3) resolve(null);
  });
  try {
    const result = await Promise.race([run, timedOut]);
    return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
  } finally {
    clearTimeout(timer);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/** A streaming invocation under way. */
export interface StreamingInvocation {
  /**
   * What the handler writes: API Gateway's prelude, the delimiter, then the body, as it is
   * written. Destroying it is how the handler learns that the client went away.
   */
  responseStream: ResponseStream;
  /** Settles with the handler; rejects with {@link FunctionTimeoutError} past the function's timeout. */
  done: Promise<void>;
}

/**
 * Invokes a response-streaming function (`awslambda.streamifyResponse`) as Lambda's
 * InvokeWithResponseStream does: the handler gets `(event, responseStream, context)` and
 * whatever it writes can be read from `responseStream` at once. The stream ends when the
 * handler's promise settles (destroyed if it rejects, or at the timeout).
 */
export async function invokeLocalStreamingFunction(fn: LocalFunction, event: unknown): Promise<StreamingInvocation> {
  const handler = (await fn.loadHandler()) as unknown as (event: unknown, stream: ResponseStream, context: unknown) => unknown;
  if (!isStreamingHandler(handler)) {
    throw new LocalPlatformError(
      `${fn.functionName} is not a response-streaming handler (awslambda.streamifyResponse), but its integration streams`,
      { code: 'NOT_STREAMING' },
    );
  }
  const payload: unknown = JSON.parse(JSON.stringify(event));
  const responseStream = createResponseStream();
  const context = createLambdaContext(fn);
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => {
      const error = new FunctionTimeoutError(fn.functionName, fn.timeoutSeconds);
      responseStream.destroy(error);
      reject(error);
    }, fn.timeoutSeconds * 1000);
    Promise.resolve()
      .then(() => handler(payload, responseStream, context))
      .then(
        () => {
          if (!responseStream.writableEnded) responseStream.end();
          resolve();
        },
        (error: unknown) => {
          responseStream.destroy(error instanceof Error ? error : new Error(String(error)));
          reject(error);
        },
      );
  }).finally(() => clearTimeout(timer));
  return { responseStream, done };
}
