import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './lambdaContext';
import type { RouteMatch } from './httpApiRoutes';

/** The API id the local HTTP API reports (a real one is 10 lowercase characters). */
export const LOCAL_API_ID = 'localapi00';
const STAGE = '$default';

/** What an event is built from: the request, as API Gateway received it, and its route. */
export interface GatewayRequest {
  request: IncomingMessage;
  body: Buffer;
  match: RouteMatch;
  requestId: string;
  receivedAt: Date;
  region: string;
}

/** API Gateway's request ids look like `JKJaXmPLvHcESHA=`. */
export function newGatewayRequestId(): string {
  return randomBytes(10).toString('base64');
}

/**
 * The payload 2.0 event API Gateway sends to a route's function: lowercased headers
 * with repeats comma-joined, cookies moved out of the headers into `cookies`, query
 * parameters decoded and comma-joined, and the body as text or, for anything that is
 * not text, base64 with `isBase64Encoded`. `authorizer` is the Lambda authorizer's
 * context when the route has one.
 */
export function buildProxyEvent(input: GatewayRequest, authorizerContext?: Record<string, unknown>): APIGatewayProxyEventV2 & { requestContext: { authorizer?: { lambda: Record<string, unknown> } } } {
  const common = commonParts(input);
  const event = {
    version: '2.0',
    routeKey: input.match.routeKey,
    ...common,
    requestContext: {
      ...common.requestContext,
      ...(authorizerContext !== undefined ? { authorizer: { lambda: authorizerContext } } : {}),
    },
    ...(input.match.pathParameters ? { pathParameters: input.match.pathParameters } : {}),
    isBase64Encoded: false,
  };
  if (input.body.length === 0) return event;
  const text = isTextual(input.request.headers['content-type']);
  return { ...event, body: input.body.toString(text ? 'utf8' : 'base64'), isBase64Encoded: !text };
}

/**
 * The payload 2.0 event of a Lambda request authorizer. It has no body; with no
 * identity source configured, `identitySource` is empty and every request reaches it.
 */
export function buildAuthorizerEvent(input: GatewayRequest): APIGatewayRequestAuthorizerEventV2 {
  const common = commonParts(input);
  const method = input.request.method ?? 'GET';
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${input.region}:${LOCAL_ACCOUNT_ID}:${LOCAL_API_ID}/${STAGE}/${method}${common.rawPath}`,
    identitySource: [],
    routeKey: input.match.routeKey,
    ...common,
    ...(input.match.pathParameters ? { pathParameters: input.match.pathParameters } : {}),
  } as APIGatewayRequestAuthorizerEventV2;
}

function commonParts(input: GatewayRequest) {
  const { request } = input;
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  const rawPath = query < 0 ? url : url.slice(0, query);
  const rawQueryString = query < 0 ? '' : url.slice(query + 1);
  const { headers, cookies } = eventHeaders(request);
  const queryStringParameters = parseQuery(rawQueryString);
  const domainName = (headers.host ?? '127.0.0.1').replace(/:\d+$/, '');
  return {
    rawPath,
    rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: sourceIp(request),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      routeKey: input.match.routeKey,
      stage: STAGE,
      time: formatTime(input.receivedAt),
      timeEpoch: input.receivedAt.getTime(),
    },
  };
}

function eventHeaders(request: IncomingMessage): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  let cookies: string[] = [];
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (!values) continue;
    if (name === 'cookie') cookies = values.flatMap((value) => value.split(';')).map((cookie) => cookie.trim()).filter(Boolean);
    else headers[name] = values.join(',');
  }
  // Headers API Gateway adds on its way to the function.
  const port = request.socket.localPort;
  headers['x-forwarded-for'] = [headers['x-forwarded-for'], sourceIp(request)].filter(Boolean).join(', ');
  headers['x-forwarded-port'] = String(port ?? '');
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] ??= `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
  return { headers, cookies };
}

function parseQuery(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const parameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    parameters[key] = key in parameters ? `${parameters[key]},${value}` : value;
  }
  return Object.keys(parameters).length ? parameters : undefined;
}

function sourceIp(request: IncomingMessage): string {
  return (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

/** Text bodies go to the function as they are; every other body as base64. */
function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    /^application\/(json|xml|javascript|ecmascript|x-ndjson|jsonl|x-yaml|yaml|graphql)$/.test(type) ||
    /\+(json|xml)$/.test(type)
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, as in requestContext.time. */
function formatTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
