import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { redactText } from '../../observability/redaction';
import { FunctionTimeoutError } from './errors';
import { buildAuthorizerEvent, buildProxyEvent, newGatewayRequestId, type GatewayRequest } from './httpApiEvent';
import { gatewayResponse, responseHeaders, toGatewayResponse, type GatewayResponse } from './httpApiResponse';
import { HttpApiRouter, type GatewayResponseConfig, type HttpApiAuthorizer, type HttpApiRoute, type RouteMatch } from './httpApiRoutes';
import { readStreamedResponse } from './httpResponseStream';
import { LOOPBACK, closeServer, listenOnLoopback } from './listenOnLoopback';
import { invokeLocalFunction, invokeLocalStreamingFunction } from './localFunction';

/** API Gateway refuses request bodies over 10 MB. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;
/** A buffered REST integration gives up after 29 s (a streamed one may run 15 minutes: the function's timeout). */
export const BUFFERED_INTEGRATION_TIMEOUT_MS = 29_000;

/** Where the gateway writes its request lines and the errors of the functions it calls. */
export interface GatewayLogger {
  info(line: string): void;
  error(line: string, error?: unknown): void;
}

/** Options of {@link startHttpApiGateway}. */
export interface HttpApiGatewayOptions {
  routes: HttpApiRoute[];
  /** Port on 127.0.0.1; 0 picks a free one. Default 3000. */
  port?: number;
  region?: string;
  /** provider.apiGateway.binaryMediaTypes (default none: every body goes as text). */
  binaryMediaTypes?: string[];
  /** Customised gateway responses by type (UNAUTHORIZED, ACCESS_DENIED, …), as in serverless.yml. */
  gatewayResponses?: Record<string, GatewayResponseConfig>;
  /** No request lines (errors are still logged). */
  quiet?: boolean;
  logger?: GatewayLogger;
}

/** A running emulated REST API. */
export interface HttpApiGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Verdict = 'error' | 'unauthorized' | 'denied' | { context: Record<string, unknown> };

/**
 * Serves `routes` as an API Gateway REST API does with Lambda proxy integrations (payload
 * 1.0), at the root (no stage prefix, as behind a custom domain): route matching, the
 * 10 MB body limit, the Lambda REQUEST authorizer and its IAM policy, binary media types,
 * the event and response mapping, the gateway responses (customised ones from
 * serverless.yml, else API Gateway's own), and response streaming: a route whose
 * integration streams invokes its function with a response stream and sends each chunk
 * on as it is written; a client that disconnects ends that stream, which the handler sees.
 */
export async function startHttpApiGateway(options: HttpApiGatewayOptions): Promise<HttpApiGateway> {
  const router = new HttpApiRouter(options.routes);
  const logger = options.logger ?? { info: (line) => console.log(line), error: (line, error) => console.error(line, error ?? '') };
  const region = options.region ?? 'us-east-1';
  const binaryMediaTypes = options.binaryMediaTypes ?? [];
  const gateway = (type: Parameters<typeof gatewayResponse>[0]) => gatewayResponse(type, options.gatewayResponses);

  const server = createServer((request, response) => {
    const startedAt = Date.now();
    const requestId = newGatewayRequestId();
    // The request line never carries a key: an `api_key` query parameter's value is redacted.
    const requestLine = `${request.method} ${redactText(request.url ?? '/')}`;
    handle(request, response, requestId)
      .catch((error: unknown) => {
        logger.error(`[http] ${requestLine} failed in the gateway itself`, error);
        if (response.headersSent) {
          response.destroy();
          return response.statusCode;
        }
        return send(response, gateway('DEFAULT_5XX'), requestId);
      })
      .then((status) => {
        if (!options.quiet) logger.info(`[http] ${requestLine} ${status} ${Date.now() - startedAt}ms`);
      });
  });

  async function handle(request: IncomingMessage, response: ServerResponse, requestId: string): Promise<number> {
    const receivedAt = new Date();
    const body = await readBody(request);
    if (!body) return send(response, gateway('REQUEST_TOO_LARGE'), requestId);
    const rawPath = (request.url ?? '/').split('?')[0]!;
    const match = router.match(request.method ?? 'GET', rawPath);
    // A REST API answers a path or method it does not have as it answers a missing token.
    if (!match) return send(response, gateway('MISSING_AUTHENTICATION_TOKEN'), requestId);
    const input: GatewayRequest = { request, body, match, requestId, receivedAt, region, binaryMediaTypes };
    let authorizerContext: Record<string, unknown> | undefined;
    if (match.route.authorizer) {
      const verdict = await authorize(match.route.authorizer, input);
      if (verdict === 'error') return send(response, gateway('AUTHORIZER_FAILURE'), requestId);
      if (verdict === 'unauthorized') return send(response, gateway('UNAUTHORIZED'), requestId);
      if (verdict === 'denied') return send(response, gateway('ACCESS_DENIED'), requestId);
      authorizerContext = verdict.context;
    }
    const event = buildProxyEvent(input, authorizerContext);
    if (match.route.streaming) return stream(match, event, response, requestId);
    return send(response, await integrate(match, event, request.headers.accept), requestId);
  }

  async function authorize(authorizer: HttpApiAuthorizer, input: GatewayRequest): Promise<Verdict> {
    const event = buildAuthorizerEvent(input);
    let answer: unknown;
    try {
      answer = await invokeLocalFunction(authorizer.function, event);
    } catch (error) {
      // The one error a REST authorizer may throw on purpose: API Gateway answers 401.
      if ((error as Error)?.message === 'Unauthorized') return 'unauthorized';
      logger.error(`[authorizer ${authorizer.name}] ${authorizer.function.functionName} failed`, error);
      return 'error';
    }
    const verdict = policyVerdict(answer, event.methodArn);
    const context = (answer as { context?: unknown } | null)?.context ?? {};
    if (
      verdict === undefined ||
      typeof context !== 'object' ||
      context === null ||
      Object.values(context).some((value) => value !== null && typeof value === 'object')
    ) {
      logger.error(`[authorizer ${authorizer.name}] answered ${JSON.stringify(answer)}, which is not a valid authorizer response`);
      return 'error';
    }
    if (!verdict) return 'denied';
    const principalId = String((answer as { principalId?: unknown }).principalId ?? '');
    return {
      context: {
        ...Object.fromEntries(Object.entries(context).map(([key, value]) => [key, value === null ? null : String(value)])),
        principalId,
        integrationLatency: 0,
      },
    };
  }

  async function integrate(match: RouteMatch, event: unknown, accept: string | undefined): Promise<GatewayResponse> {
    const fn = match.route.function;
    let timer: NodeJS.Timeout | undefined;
    const integrationTimeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FunctionTimeoutError(`${fn.functionName} (integration)`, BUFFERED_INTEGRATION_TIMEOUT_MS / 1000)),
        BUFFERED_INTEGRATION_TIMEOUT_MS,
      );
    });
    try {
      return toGatewayResponse(await Promise.race([invokeLocalFunction(fn, event), integrationTimeout]), { binaryMediaTypes, accept });
    } catch (error) {
      if (error instanceof FunctionTimeoutError) {
        logger.error(`[${match.routeKey}] ${error.message}`);
        return gateway('INTEGRATION_TIMEOUT');
      }
      logger.error(`[${match.routeKey}] ${fn.functionName} failed`, error);
      return gateway('DEFAULT_5XX');
    } finally {
      clearTimeout(timer);
    }
  }

  /** A streaming integration: the prelude becomes the status and headers, then each chunk goes on as it comes. */
  async function stream(match: RouteMatch, event: unknown, response: ServerResponse, requestId: string): Promise<number> {
    const fn = match.route.function;
    let invocation: Awaited<ReturnType<typeof invokeLocalStreamingFunction>>;
    try {
      invocation = await invokeLocalStreamingFunction(fn, event);
    } catch (error) {
      logger.error(`[${match.routeKey}] ${fn.functionName} failed`, error);
      return send(response, gateway('DEFAULT_5XX'), requestId);
    }
    const { responseStream, done } = invocation;
    done.catch((error: unknown) => {
      if (error instanceof FunctionTimeoutError) logger.error(`[${match.routeKey}] ${error.message}`);
      else logger.error(`[${match.routeKey}] ${fn.functionName} failed`, error);
    });
    // The client went away before the end: the handler's response stream closes with it.
    const clientGone = () => {
      if (!response.writableFinished) responseStream.destroy(new Error('The client disconnected.'));
    };
    response.once('close', clientGone);
    let head: Awaited<ReturnType<typeof readStreamedResponse>>;
    try {
      head = await readStreamedResponse(responseStream);
    } catch (error) {
      return send(response, gateway(error instanceof FunctionTimeoutError ? 'INTEGRATION_TIMEOUT' : 'DEFAULT_5XX'), requestId);
    }
    if (!head.prelude) {
      logger.error(`[${match.routeKey}] ${fn.functionName} streamed no prelude (awslambda.HttpResponseStream.from)`);
      return send(response, gateway('DEFAULT_5XX'), requestId);
    }
    const statusCode = Number(head.prelude.statusCode ?? 200);
    const { headers, multiValueHeaders } = responseHeaders(head.prelude.headers, head.prelude.multiValueHeaders, head.prelude.cookies);
    response.statusCode = statusCode;
    for (const [name, value] of Object.entries({ 'content-type': 'application/json', ...headers })) response.setHeader(name, value);
    for (const [name, values] of Object.entries(multiValueHeaders)) response.setHeader(name, values);
    response.setHeader('x-amzn-requestid', requestId);
    response.flushHeaders();
    try {
      await pipeline(head.body, response);
    } catch {
      // Cut off midway (the handler failed or timed out, or the client left): the connection just ends.
      response.destroy();
    }
    return statusCode;
  }

  const port = await listenOnLoopback(server, options.port ?? 3000, { what: 'HTTP API', envVar: 'INFER_PORT' });
  return { url: `http://${LOOPBACK}:${port}`, port, close: () => closeServer(server) };
}

/**
 * An IAM policy answer (`principalId`, `policyDocument`): allowed when an Allow
 * statement covers the method's ARN and no Deny does (`*` and `?` as IAM wildcards);
 * undefined when the answer is not a policy.
 */
function policyVerdict(answer: unknown, methodArn: string): boolean | undefined {
  const statements = (answer as { policyDocument?: { Statement?: unknown } } | null)?.policyDocument?.Statement;
  if (!Array.isArray(statements) || typeof (answer as { principalId?: unknown }).principalId !== 'string') return undefined;
  const covers = (statement: { Resource?: unknown }) =>
    [statement.Resource].flat().some(
      (resource) =>
        typeof resource === 'string' &&
        new RegExp(
          `^${resource
            .split('*')
            .map((part) => part.split('?').map(escapeRegExp).join('.'))
            .join('.*')}$`,
        ).test(methodArn),
    );
  const effect = (name: string) =>
    statements.filter((statement) => String((statement as { Effect?: unknown }).Effect).toLowerCase() === name && covers(statement));
  return effect('allow').length > 0 && effect('deny').length === 0;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The whole body, or undefined once it passes API Gateway's limit (the rest is drained). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(request.headers['content-length'] ?? 0) > MAX_REQUEST_BODY_BYTES) {
      request.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_REQUEST_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Sends a whole response; a header value Node refuses (a newline in it) becomes API Gateway's 502, as it would not pass it either. */
function send(response: ServerResponse, result: GatewayResponse, requestId: string): number {
  try {
    write(response, result, requestId);
    return result.statusCode;
  } catch {
    const fallback = gatewayResponse('DEFAULT_5XX');
    if (response.headersSent) response.destroy();
    else write(response, fallback, requestId);
    return fallback.statusCode;
  }
}

function write(response: ServerResponse, result: GatewayResponse, requestId: string): void {
  for (const name of response.getHeaderNames()) response.removeHeader(name);
  response.statusCode = result.statusCode;
  for (const [name, value] of Object.entries(result.headers)) response.setHeader(name, value);
  for (const [name, values] of Object.entries(result.multiValueHeaders)) response.setHeader(name, values);
  response.setHeader('content-length', result.body.length);
  response.setHeader('x-amzn-requestid', requestId);
  response.end(result.body);
}
