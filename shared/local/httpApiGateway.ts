import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { FunctionTimeoutError } from './errors';
import { buildAuthorizerEvent, buildProxyEvent, newGatewayRequestId, type GatewayRequest } from './httpApiEvent';
import { gatewayMessage, toGatewayResponse, type GatewayResponse } from './httpApiResponse';
import { HttpApiRouter, type HttpApiAuthorizer, type HttpApiRoute, type RouteMatch } from './httpApiRoutes';
import { LOOPBACK, closeServer, listenOnLoopback } from './listenOnLoopback';
import { invokeLocalFunction } from './localFunction';

/** API Gateway HTTP APIs refuse request bodies over 10 MB. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

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
  /** No request lines (errors are still logged). */
  quiet?: boolean;
  logger?: GatewayLogger;
}

/** A running emulated HTTP API. */
export interface HttpApiGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `routes` as API Gateway HTTP API does with Lambda proxy integrations, payload
 * 2.0: route matching, the 10 MB body limit, the Lambda request authorizer, the event
 * and response mapping, and API Gateway's own answers when a function fails (500) or
 * runs past its timeout (503).
 */
export async function startHttpApiGateway(options: HttpApiGatewayOptions): Promise<HttpApiGateway> {
  const router = new HttpApiRouter(options.routes);
  const logger = options.logger ?? { info: (line) => console.log(line), error: (line, error) => console.error(line, error ?? '') };
  const region = options.region ?? 'us-east-1';

  const server = createServer((request, response) => {
    const startedAt = Date.now();
    const requestId = newGatewayRequestId();
    handle(request, requestId)
      .catch((error: unknown) => {
        logger.error(`[http] ${request.method} ${request.url} failed in the gateway itself`, error);
        return gatewayMessage(500, 'Internal Server Error');
      })
      .then((result) => {
        try {
          send(response, result, requestId);
        } catch (error) {
          // A header value Node refuses (e.g. a newline in it): API Gateway would not pass it either.
          logger.error(`[http] ${request.method} ${request.url}: the function's response cannot be sent`, error);
          result = gatewayMessage(500, 'Internal Server Error');
          if (response.headersSent) response.destroy();
          else send(response, result, requestId);
        }
        if (!options.quiet) logger.info(`[http] ${request.method} ${request.url} ${result.statusCode} ${Date.now() - startedAt}ms`);
      });
  });

  async function handle(request: IncomingMessage, requestId: string): Promise<GatewayResponse> {
    const receivedAt = new Date();
    const body = await readBody(request);
    if (!body) return gatewayMessage(413, 'Request Entity Too Large');
    const rawPath = (request.url ?? '/').split('?')[0]!;
    const match = router.match(request.method ?? 'GET', rawPath);
    if (!match) return gatewayMessage(404, 'Not Found');
    const input: GatewayRequest = { request, body, match, requestId, receivedAt, region };
    let authorizerContext: Record<string, unknown> | undefined;
    if (match.route.authorizer) {
      const verdict = await authorize(match.route.authorizer, input);
      if (verdict === 'error') return gatewayMessage(500, 'Internal Server Error');
      if (verdict === 'denied') return gatewayMessage(403, 'Forbidden');
      authorizerContext = verdict.context;
    }
    return integrate(match, buildProxyEvent(input, authorizerContext));
  }

  async function authorize(authorizer: HttpApiAuthorizer, input: GatewayRequest): Promise<'error' | 'denied' | { context: Record<string, unknown> }> {
    let answer: unknown;
    try {
      answer = await invokeLocalFunction(authorizer.function, buildAuthorizerEvent(input));
    } catch (error) {
      logger.error(`[authorizer ${authorizer.name}] ${authorizer.function.functionName} failed`, error);
      return 'error';
    }
    const verdict = authorizer.enableSimpleResponses ? simpleVerdict(answer) : policyVerdict(answer);
    if (verdict === undefined) {
      logger.error(`[authorizer ${authorizer.name}] answered ${JSON.stringify(answer)}, which is not a valid authorizer response`);
      return 'error';
    }
    if (!verdict) return 'denied';
    const context = (answer as { context?: unknown }).context;
    return { context: context !== null && typeof context === 'object' ? (context as Record<string, unknown>) : {} };
  }

  async function integrate(match: RouteMatch, event: unknown): Promise<GatewayResponse> {
    const fn = match.route.function;
    try {
      return toGatewayResponse(await invokeLocalFunction(fn, event));
    } catch (error) {
      if (error instanceof FunctionTimeoutError) {
        logger.error(`[${match.routeKey}] ${error.message}`);
        return gatewayMessage(503, 'Service Unavailable');
      }
      logger.error(`[${match.routeKey}] ${fn.functionName} failed`, error);
      return gatewayMessage(500, 'Internal Server Error');
    }
  }

  const port = await listenOnLoopback(server, options.port ?? 3000, { what: 'HTTP API', envVar: 'INFER_PORT' });
  return { url: `http://${LOOPBACK}:${port}`, port, close: () => closeServer(server) };
}

/** `{ isAuthorized: boolean, context? }`; anything else is invalid (undefined). */
function simpleVerdict(answer: unknown): boolean | undefined {
  const isAuthorized = (answer as { isAuthorized?: unknown } | null)?.isAuthorized;
  return typeof isAuthorized === 'boolean' ? isAuthorized : undefined;
}

/** An IAM policy answer: allowed when a statement allows and none denies (resources are not checked). */
function policyVerdict(answer: unknown): boolean | undefined {
  const statements = (answer as { policyDocument?: { Statement?: unknown } } | null)?.policyDocument?.Statement;
  if (!Array.isArray(statements)) return undefined;
  const effects = statements.map((statement) => String((statement as { Effect?: unknown }).Effect).toLowerCase());
  return effects.includes('allow') && !effects.includes('deny');
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

function send(response: ServerResponse, result: GatewayResponse, requestId: string): void {
  for (const name of response.getHeaderNames()) response.removeHeader(name);
  response.statusCode = result.statusCode;
  for (const [name, value] of Object.entries(result.headers)) response.setHeader(name, value);
  if (result.cookies.length) response.setHeader('set-cookie', result.cookies);
  response.setHeader('content-length', result.body.length);
  response.setHeader('apigw-requestid', requestId);
  response.end(result.body);
}
