import { isBinary } from './httpApiEvent';
import type { GatewayResponseConfig } from './httpApiRoutes';

/** An HTTP response as the emulated API Gateway sends it. */
export interface GatewayResponse {
  statusCode: number;
  /** Single-valued headers, lower-case names. */
  headers: Record<string, string>;
  /** Headers with several values (`set-cookie` among them). */
  multiValueHeaders: Record<string, string[]>;
  body: Buffer;
}

/** A function answer API Gateway cannot turn into a response (it answers 502). */
export class MalformedResponseError extends Error {
  constructor(reason: string) {
    super(`Malformed Lambda proxy response: ${reason}`);
    this.name = 'MalformedResponseError';
  }
}

/**
 * The answers a REST API gives itself, by gateway response type, when serverless.yml
 * does not customise them (AWS::ApiGateway::GatewayResponse).
 */
const DEFAULT_GATEWAY_RESPONSES: Record<string, { statusCode: number; message: string | null }> = {
  MISSING_AUTHENTICATION_TOKEN: { statusCode: 403, message: 'Missing Authentication Token' },
  UNAUTHORIZED: { statusCode: 401, message: 'Unauthorized' },
  ACCESS_DENIED: { statusCode: 403, message: 'User is not authorized to access this resource with an explicit deny' },
  AUTHORIZER_FAILURE: { statusCode: 500, message: null },
  AUTHORIZER_CONFIGURATION_ERROR: { statusCode: 500, message: null },
  REQUEST_TOO_LARGE: { statusCode: 413, message: 'Request Too Long' },
  INTEGRATION_TIMEOUT: { statusCode: 504, message: 'Endpoint request timed out' },
  // A Lambda proxy integration that fails or answers nonsense is a DEFAULT_5XX, 502.
  DEFAULT_5XX: { statusCode: 502, message: 'Internal server error' },
};

/** API Gateway's own answer of `type`, as customised in `gatewayResponses` or by default. */
export function gatewayResponse(
  type: keyof typeof DEFAULT_GATEWAY_RESPONSES,
  gatewayResponses: Record<string, GatewayResponseConfig> = {},
): GatewayResponse {
  const fallback = DEFAULT_GATEWAY_RESPONSES[type]!;
  const custom = gatewayResponses[type];
  return {
    statusCode: custom?.statusCode ?? fallback.statusCode,
    headers: { 'content-type': 'application/json', ...(custom?.headers ?? {}) },
    multiValueHeaders: {},
    body: Buffer.from(custom?.body ?? JSON.stringify({ message: fallback.message })),
  };
}

/**
 * Maps a function's result per the REST API (payload 1.0) rules: it must be an object
 * with an integer `statusCode`; `headers` and `multiValueHeaders` (cookies go there as
 * `Set-Cookie`), a string `body`, `isBase64Encoded` (decoded to bytes when the content
 * type or the request's Accept is a binary media type). No content type:
 * `application/json`, as a REST API says. Anything else is malformed (502).
 */
export function toGatewayResponse(result: unknown, options: { binaryMediaTypes?: string[]; accept?: string } = {}): GatewayResponse {
  if (result === null || typeof result !== 'object' || Array.isArray(result) || !('statusCode' in result))
    throw new MalformedResponseError('no statusCode');
  const response = result as Record<string, unknown>;
  const statusCode = Number(response.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
    throw new MalformedResponseError(`statusCode ${String(response.statusCode)}`);
  if (response.body !== undefined && response.body !== null && typeof response.body !== 'string')
    throw new MalformedResponseError('body must be a string');
  const { headers, multiValueHeaders } = responseHeaders(response.headers, response.multiValueHeaders);
  const text = typeof response.body === 'string' ? response.body : '';
  const binaryMediaTypes = options.binaryMediaTypes ?? [];
  const decode =
    response.isBase64Encoded === true &&
    (isBinary(headers['content-type'], binaryMediaTypes) || isBinary(options.accept, binaryMediaTypes));
  const body = decode ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  headers['content-type'] ??= 'application/json';
  return { statusCode, headers, multiValueHeaders, body };
}

/** Headers of a proxy result or a streaming prelude: single values lower-cased, several values kept apart. */
export function responseHeaders(
  single: unknown,
  multi: unknown,
  cookies?: unknown,
): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  if (single !== undefined && single !== null) {
    if (typeof single !== 'object') throw new MalformedResponseError('headers must be an object');
    for (const [name, value] of Object.entries(single)) {
      if (value === null || value === undefined) continue;
      if (typeof value === 'object') throw new MalformedResponseError(`header ${name} must be a string, number or boolean`);
      headers[name.toLowerCase()] = String(value);
    }
  }
  if (multi !== undefined && multi !== null) {
    if (typeof multi !== 'object') throw new MalformedResponseError('multiValueHeaders must be an object');
    for (const [name, values] of Object.entries(multi)) {
      if (!Array.isArray(values)) throw new MalformedResponseError(`multiValueHeaders.${name} must be an array`);
      const key = name.toLowerCase();
      multiValueHeaders[key] = [...(multiValueHeaders[key] ?? []), ...values.map(String)];
    }
  }
  if (Array.isArray(cookies) && cookies.length)
    multiValueHeaders['set-cookie'] = [...(multiValueHeaders['set-cookie'] ?? []), ...cookies.map(String)];
  for (const name of Object.keys(multiValueHeaders)) {
    // A name in both maps: the single value joins the others, as API Gateway merges them.
    if (headers[name] !== undefined) {
      multiValueHeaders[name]!.unshift(headers[name]!);
      delete headers[name];
    }
  }
  return { headers, multiValueHeaders };
}
