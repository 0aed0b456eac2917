import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './lambdaContext';
import type { RouteMatch } from './httpApiRoutes';

/** The API id the local REST API reports (a real one is 10 lowercase characters). */
export const LOCAL_API_ID = 'localapi00';
/** The stage the local REST API reports; its URLs have no stage prefix (like a custom domain). */
export const LOCAL_STAGE = 'local';

/** What an event is built from: the request, as API Gateway received it, and its route. */
export interface GatewayRequest {
  request: IncomingMessage;
  body: Buffer;
  match: RouteMatch;
  requestId: string;
  receivedAt: Date;
  region: string;
  /** provider.apiGateway.binaryMediaTypes. */
  binaryMediaTypes: string[];
}

/** API Gateway's request ids (a REST API's are UUIDs). */
export function newGatewayRequestId(): string {
  return randomUUID();
}

/**
 * The payload 1.0 event a REST API's Lambda proxy integration sends: headers as the
 * client cased them (the last value of a repeated one, all of them in
 * `multiValueHeaders`), query parameters decoded the same way, path parameters, the
 * authorizer's context (plus `principalId`) under `requestContext.authorizer`, and the
 * body as text, or base64 with `isBase64Encoded` when its content type is one of the
 * API's binary media types (with `*\/*`, every body).
 */
export function buildProxyEvent(input: GatewayRequest, authorizer?: Record<string, unknown>): APIGatewayProxyEvent {
  const common = commonParts(input);
  const event: APIGatewayProxyEvent = {
    ...common,
    stageVariables: null,
    requestContext: { ...common.requestContext, authorizer: authorizer ?? null } as APIGatewayProxyEvent['requestContext'],
    body: null,
    isBase64Encoded: false,
  };
  if (input.body.length === 0) return event;
  const binary = isBinary(input.request.headers['content-type'], input.binaryMediaTypes);
  return { ...event, body: input.body.toString(binary ? 'base64' : 'utf8'), isBase64Encoded: binary };
}

/**
 * The event of a Lambda REQUEST authorizer (REST API): the request's headers, query and
 * path parameters and `methodArn`, no body.
 */
export function buildAuthorizerEvent(input: GatewayRequest): APIGatewayRequestAuthorizerEvent {
  const common = commonParts(input);
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${input.region}:${LOCAL_ACCOUNT_ID}:${LOCAL_API_ID}/${LOCAL_STAGE}/${common.httpMethod}${common.path}`,
    ...common,
    stageVariables: null,
  } as APIGatewayRequestAuthorizerEvent;
}

function commonParts(input: GatewayRequest) {
  const { request } = input;
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  const { headers, multiValueHeaders } = eventHeaders(request);
  const { single, multi } = parseQuery(query < 0 ? '' : url.slice(query + 1));
  const host = Object.entries(headers).find(([name]) => name.toLowerCase() === 'host')?.[1] ?? '127.0.0.1';
  const domainName = host.replace(/:\d+$/, '');
  const method = request.method ?? 'GET';
  const resource = input.match.routeKey.slice(input.match.routeKey.indexOf(' ') + 1);
  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: single,
    multiValueQueryStringParameters: multi,
    pathParameters: input.match.pathParameters ?? null,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      extendedRequestId: randomBytes(10).toString('base64'),
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: sourceIp(request),
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${LOCAL_STAGE}${path}`,
      protocol: `HTTP/${request.httpVersion}`,
      requestId: input.requestId,
      requestTime: formatTime(input.receivedAt),
      requestTimeEpoch: input.receivedAt.getTime(),
      resourceId: randomBytes(3).toString('hex'),
      resourcePath: resource,
      stage: LOCAL_STAGE,
    },
  };
}

/** Header names as the client sent them; a REST API keeps the last value in `headers`. */
function eventHeaders(request: IncomingMessage): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const multiValueHeaders: Record<string, string[]> = {};
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index]!;
    const existing = Object.keys(multiValueHeaders).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name;
    multiValueHeaders[existing] = [...(multiValueHeaders[existing] ?? []), request.rawHeaders[index + 1]!];
  }
  // Headers API Gateway adds on its way to the function.
  const add = (name: string, value: string) => {
    const existing = Object.keys(multiValueHeaders).find((key) => key.toLowerCase() === name.toLowerCase());
    if (existing) multiValueHeaders[existing] = [[...multiValueHeaders[existing]!, value].join(', ')];
    else multiValueHeaders[name] = [value];
  };
  add('X-Forwarded-For', sourceIp(request));
  multiValueHeaders['X-Forwarded-Port'] = [String(request.socket.localPort ?? '')];
  multiValueHeaders['X-Forwarded-Proto'] = ['http'];
  if (!Object.keys(multiValueHeaders).some((key) => key.toLowerCase() === 'x-amzn-trace-id')) {
    multiValueHeaders['X-Amzn-Trace-Id'] = [`Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`];
  }
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([name, values]) => [name, values[values.length - 1]!]));
  return { headers, multiValueHeaders };
}

function parseQuery(rawQueryString: string): { single: Record<string, string> | null; multi: Record<string, string[]> | null } {
  if (!rawQueryString) return { single: null, multi: null };
  const multi: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) multi[key] = [...(multi[key] ?? []), value];
  if (!Object.keys(multi).length) return { single: null, multi: null };
  return { single: Object.fromEntries(Object.entries(multi).map(([key, values]) => [key, values[values.length - 1]!])), multi };
}

function sourceIp(request: IncomingMessage): string {
  return (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

/** Whether a body of this content type goes base64-encoded: it matches a binary media type (`*\/*`, `image/*`, `application/pdf`). */
export function isBinary(contentType: string | undefined, binaryMediaTypes: string[]): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return binaryMediaTypes.some((pattern) => {
    const [major, minor] = pattern.toLowerCase().split('/');
    const [typeMajor, typeMinor] = type.split('/');
    if (major === '*' && minor === '*') return true;
    return major === typeMajor && (minor === '*' || minor === typeMinor);
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, as in requestContext.requestTime. */
function formatTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
