import { PassThrough, Readable, type Writable } from 'node:stream';

/** How the Node.js runtime marks a handler wrapped by `awslambda.streamifyResponse`. */
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const STREAM_RESPONSE = 'response';
/** What separates the JSON prelude from the body in an HTTP integration response stream. */
const DELIMITER = Buffer.alloc(8);
const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';

/** The response stream the runtime hands a streaming handler (a Writable with `setContentType`). */
export type ResponseStream = PassThrough & { setContentType(contentType: string): void; contentType?: string };

/** The prelude API Gateway reads before a streamed body: status, headers, cookies. */
export interface StreamPrelude {
  statusCode?: number;
  headers?: Record<string, unknown>;
  multiValueHeaders?: Record<string, unknown[]>;
  cookies?: string[];
}

/**
 * Installs the `awslambda` global the Lambda Node.js runtime provides, as far as response
 * streaming needs it: `streamifyResponse` marks a handler as streaming (the runtime then
 * calls it with `(event, responseStream, context)`), and `HttpResponseStream.from`
 * writes the JSON prelude and the 8-byte NUL delimiter API Gateway expects before the
 * body. Members already there are kept (as in Lambda).
 */
export function installAwsLambdaGlobal(): void {
  // Other packages (@aws/lambda-invoke-store, under the AWS SDK and Powertools) create the
  // global with their own members: add ours to it rather than replace or skip it.
  const scope = globalThis as { awslambda?: Record<string, unknown> };
  scope.awslambda ??= {};
  const awslambda = scope.awslambda;
  awslambda.streamifyResponse ??= <T extends (...args: never[]) => unknown>(handler: T): T =>
    Object.assign(handler, { [STREAMING]: STREAM_RESPONSE });
  awslambda.HttpResponseStream ??= {
    from(stream: Writable & { setContentType?: (type: string) => void }, prelude: Record<string, unknown>): Writable {
      stream.setContentType?.(PRELUDE_CONTENT_TYPE);
      stream.write(JSON.stringify(prelude));
      stream.write(DELIMITER);
      return stream;
    },
  };
}

/** Whether `handler` was wrapped by `awslambda.streamifyResponse`. */
export function isStreamingHandler(handler: unknown): boolean {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[STREAMING] === STREAM_RESPONSE;
}

/** A fresh response stream, as the runtime creates one per streaming invocation. */
export function createResponseStream(): ResponseStream {
  const stream = new PassThrough() as ResponseStream;
  stream.setContentType = (contentType: string) => {
    stream.contentType = contentType;
  };
  return stream;
}

/**
 * Reads a streaming invocation's output as API Gateway does: the prelude up to the
 * delimiter, then the body as it keeps coming. Without a delimiter the whole output is
 * the body and `prelude` is undefined (API Gateway cannot map that: the caller answers
 * an error). Rejects if the stream fails before the prelude is complete.
 */
export function readStreamedResponse(stream: Readable): Promise<{ prelude?: StreamPrelude; body: Readable }> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const at = head.indexOf(DELIMITER);
      if (at < 0) return;
      cleanup();
      stream.pause();
      let prelude: StreamPrelude;
      try {
        prelude = JSON.parse(head.subarray(0, at).toString('utf8')) as StreamPrelude;
      } catch (error) {
        reject(new Error(`The response stream's prelude is not JSON: ${(error as Error).message}`));
        return;
      }
      const rest = head.subarray(at + DELIMITER.length);
      const body = new PassThrough();
      if (rest.length) body.write(rest);
      stream.pipe(body);
      stream.once('error', (error) => body.destroy(error));
      stream.once('close', () => {
        if (!stream.readableEnded) body.destroy(new Error('The response stream was cut off.'));
      });
      resolve({ prelude, body });
    };
    const onEnd = () => {
      cleanup();
      resolve({ body: Readable.from([head]) });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      if (stream.readableEnded) return;
      cleanup();
      reject(new Error('The response stream closed before its prelude.'));
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}

/**
 * Runs a streaming handler in process and collects its answer (for tests and scripts):
 * the prelude's status and headers, the body as text, and each chunk as it came.
 */
export async function collectStreamedResponse(
  handler: (event: unknown, stream: ResponseStream, context: unknown) => unknown,
  event: unknown,
  context: unknown,
): Promise<{ statusCode: number; headers: Record<string, string>; body: string; chunks: string[] }> {
  const stream = createResponseStream();
  const run = Promise.resolve(handler(event, stream, context)).then(
    () => {
      if (!stream.writableEnded) stream.end();
    },
    (error: unknown) => {
      stream.destroy(error as Error);
      throw error;
    },
  );
  const { prelude, body } = await readStreamedResponse(stream);
  const chunks: string[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer).toString('utf8'));
  await run;
  const headers = Object.fromEntries(Object.entries(prelude?.headers ?? {}).map(([name, value]) => [name, String(value)]));
  return { statusCode: prelude?.statusCode ?? 200, headers, body: chunks.join(''), chunks };
}
