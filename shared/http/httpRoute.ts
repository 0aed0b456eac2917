import { Readable } from 'node:stream';
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, Context, StreamifyHandler } from 'aws-lambda';
import { logger } from '../observability/logger';
import { metricsMiddleware } from '../observability/withMetrics';
import { usageMiddleware } from '../usage/platformUsage';
import { jsonBody, type WithJsonBody } from './jsonBody';
import { openAiErrors } from './openAiErrors';
import type { RouteResponse } from './responses';
import { toRouteEvent, type RouteEvent } from './routeEvent';
import { requireTenant, tenantOf, type Tenant } from './tenant';

export type { RouteEvent } from './routeEvent';

/** What a route's own code gets: the request, the caller, the parsed body and the time it has. */
export interface RouteInput {
  /** The request, normalised from API Gateway's event (see {@link RouteEvent}). */
  event: WithJsonBody<RouteEvent>;
  tenant: Tenant;
  body: unknown;
  /**
   * Absolute time (ms since the epoch) by which the work must be done: the function's
   * end less {@link ANSWER_RESERVE_MS}, the time the handler needs to answer.
   */
  deadline: number;
  /**
   * Aborted when the answer is no longer wanted: the deadline has passed, or (streaming
   * routes) the client went away. Pass it to every backend call, and stop producing a
   * streamed body once it is aborted.
   */
  signal: AbortSignal;
  /**
   * Headers every answer of this invocation carries, success or error, streamed or not
   * (the rate-limit headers): the route adds to it, the chain merges it last.
   */
  answerHeaders: Record<string, string>;
}

/**
 * A streamed answer, which only a route built with `streaming: true` may return.
 *
 * The status and headers go out first (give `content-type`, e.g. `text/event-stream`
 * for server-sent events); then each piece `body` yields (text, or bytes for a file's
 * content) is written to the client as soon as it is yielded (API Gateway REST response streaming, through
 * `awslambda.HttpResponseStream`). The body is iterated once; when the client
 * disconnects, iteration stops (the iterator's `return()` runs, so a generator's
 * `finally` does) and {@link RouteInput.signal} aborts.
 *
 * Errors: anything thrown *before* this result is returned still becomes the OpenAI
 * error JSON with its status, through the one mapping (openAiErrors). Once returned, the
 * status is sent and cannot change: an error thrown by the body while it is iterated is
 * logged and ends the response early, so a stream that can fail midway should yield its
 * own error event (OpenAI streams send `data: {"error":…}`) before ending.
 */
export interface StreamingResult {
  statusCode: number;
  headers: Record<string, string>;
  body: AsyncIterable<string | Uint8Array>;
}

/** How a route is wired. */
export interface RouteOptions {
  /** Parse a JSON body, up to this many bytes. */
  jsonBodyMaxBytes?: number;
  /** Parse the JSON body only of the requests this accepts (default: every request). */
  jsonBodyWhen?: (event: RouteEvent) => boolean;
  /** Let callers in without a key (health). */
  anonymous?: boolean;
}

/** A buffered route's Lambda handler: a REST API proxy event in, a proxy result out. */
export type HttpHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<RouteResponse>;

/**
 * A streaming route's Lambda handler (`awslambda.streamifyResponse`): the runtime calls it
 * with the response stream, and it writes API Gateway's prelude (status, headers) then
 * the body. Deployed behind a REST integration with ResponseTransferMode STREAM.
 */
export type StreamingHttpHandler = StreamifyHandler<APIGatewayProxyEvent, void>;

/**
 * Time kept back from the function's end for the handler to answer: the route's
 * {@link RouteInput.deadline} is this much before it, so a backend call cut at the
 * deadline still leaves time to send the 504 / 503 before the Lambda times out.
 */
export const ANSWER_RESERVE_MS = 500;

/** Per invocation, the signal of the client's disconnect (keyed by the Lambda context). */
const disconnects = new WeakMap<object, AbortSignal>();
/** Per invocation, the headers every answer carries ({@link RouteInput.answerHeaders}). */
const answerHeadersOf = new WeakMap<object, Record<string, string>>();

/**
 * Builds a Lambda handler for a REST API route: the event normalised (payload 1.0 to
 * {@link RouteEvent}), structured logging with the Lambda context, metrics (flushed after
 * each invocation, cold starts counted), authentication, JSON
 * body parsing and the one error mapping, around `route`.
 *
 * With `streaming: true` the handler is a response-streaming one (middy's
 * `streamifyResponse`): `route` may then return a {@link StreamingResult}, whose body is
 * written as it is produced, or an ordinary JSON response, written whole.
 */
export function httpRoute(
  route: (input: RouteInput) => Promise<RouteResponse>,
  options?: RouteOptions & { streaming?: false },
): HttpHandler;
export function httpRoute(
  route: (input: RouteInput) => Promise<RouteResponse | StreamingResult>,
  options: RouteOptions & { streaming: true },
): StreamingHttpHandler;
export function httpRoute(
  route: (input: RouteInput) => Promise<RouteResponse | StreamingResult>,
  options: RouteOptions & { streaming?: boolean } = {},
): HttpHandler | StreamingHttpHandler {
  const streaming = options.streaming === true;
  const handler = middy<WithJsonBody<RouteEvent>, RouteResponse | StreamedResponse, Error, Context>({ streamifyResponse: streaming })
    .use(routeEvent())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(metricsMiddleware())
    .use(usageMiddleware())
    // Before openAiErrors, so that its onError (middy runs them last-first) sees the error's answer.
    .use(answerHeaders())
    .use(openAiErrors());
  if (!options.anonymous) handler.use(requireTenant());
  if (options.jsonBodyMaxBytes !== undefined) handler.use(jsonBody({ maxBytes: options.jsonBodyMaxBytes, when: options.jsonBodyWhen }));
  handler.handler(async (event, context) => {
    // The route's deadline leaves the handler time to answer (the error mapping, the
    // write) before middy's own timeout fires at the function's end.
    const deadline = Date.now() + Math.max(0, context.getRemainingTimeInMillis() - ANSWER_RESERVE_MS);
    const disconnected = disconnects.get(context);
    const expired = AbortSignal.timeout(Math.max(0, deadline - Date.now()));
    const headers: Record<string, string> = {};
    answerHeadersOf.set(context, headers);
    const result = await route({
      event,
      tenant: options.anonymous ? { tenantId: 'anonymous', keyId: 'none', role: 'member' } : tenantOf(event),
      body: event.jsonBody,
      deadline,
      signal: disconnected ? AbortSignal.any([expired, disconnected]) : expired,
      answerHeaders: headers,
    });
    if (typeof result.body === 'string') return result as RouteResponse;
    if (!streaming) throw new Error('A streamed body needs a route built with { streaming: true }.');
    return {
      statusCode: result.statusCode,
      headers: result.headers,
      body: Readable.from(loggedStream(result.body), { objectMode: false }),
    };
  });
  if (!streaming) return handler as unknown as HttpHandler;
  const streamed = handler as unknown as StreamingHttpHandler;
  return awslambda.streamifyResponse(async (event, responseStream, context) => {
    // The response stream closes before it finishes only when the client is gone (or the
    // invocation is being torn down): that is the route's cue to stop.
    const disconnected = new AbortController();
    const onClose = () => {
      if (!responseStream.writableFinished) disconnected.abort(new DOMException('The client disconnected.', 'AbortError'));
    };
    responseStream.once('close', onClose);
    disconnects.set(context, disconnected.signal);
    try {
      await streamed(event, responseStream, context);
    } finally {
      responseStream.off('close', onClose);
    }
  });
}

/** What middy streams: the status and headers, then a Readable body. */
interface StreamedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable;
}

/** The first middleware: every later one, and the route, reads the normalised request. */
function routeEvent(): MiddlewareObj<WithJsonBody<RouteEvent>> {
  return {
    before: (request) => {
      request.event = { ...toRouteEvent(request.event as unknown as APIGatewayProxyEvent), jsonBody: undefined };
    },
  };
}

/** Merges the invocation's {@link RouteInput.answerHeaders} into its answer, whatever it is. */
function answerHeaders(): MiddlewareObj<WithJsonBody<RouteEvent>, RouteResponse | StreamedResponse, Error, Context> {
  const merge = async (request: Request<WithJsonBody<RouteEvent>, RouteResponse | StreamedResponse, Error, Context>) => {
    const headers = answerHeadersOf.get(request.context);
    if (!headers || !request.response) return;
    request.response = { ...request.response, headers: { ...headers, ...request.response.headers } } as RouteResponse | StreamedResponse;
  };
  return { after: merge, onError: merge };
}

async function* loggedStream(body: AsyncIterable<string | Uint8Array>): AsyncGenerator<string | Uint8Array> {
  try {
    yield* body;
  } catch (error) {
    logger.error('streamed response failed midway', { error: error as Error });
    throw error;
  }
}
