/** An HTTP response as the emulated API Gateway sends it. */
export interface GatewayResponse {
  statusCode: number;
  headers: Record<string, string>;
  /** Each becomes its own `set-cookie` header. */
  cookies: string[];
  body: Buffer;
}

/** A function answer API Gateway cannot turn into a response (it answers 500). */
export class MalformedResponseError extends Error {
  constructor(reason: string) {
    super(`Malformed Lambda proxy response: ${reason}`);
    this.name = 'MalformedResponseError';
  }
}

/** The fixed JSON bodies API Gateway answers with when it, not the function, responds. */
export function gatewayMessage(statusCode: number, message: string): GatewayResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(JSON.stringify({ message })),
  };
}

/**
 * Maps a function's result per the payload 2.0 rules. An object with `statusCode` is a
 * response: `headers`, `cookies`, `body`, `isBase64Encoded` (there is no
 * `multiValueHeaders` in 2.0, so it is ignored as on AWS). Anything else is inferred:
 * 200, `application/json`, the result serialized as JSON. A response without a
 * content type gets `text/plain; charset=utf-8`, as HTTP APIs do (unlike REST APIs).
 */
export function toGatewayResponse(result: unknown): GatewayResponse {
  if (result === null || typeof result !== 'object' || Array.isArray(result) || !('statusCode' in result)) {
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(JSON.stringify(result ?? null)) };
  }
  const response = result as Record<string, unknown>;
  const statusCode = Number(response.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) throw new MalformedResponseError(`statusCode ${String(response.statusCode)}`);
  if (response.body !== undefined && response.body !== null && typeof response.body !== 'string') {
    throw new MalformedResponseError('body must be a string');
  }
  const headers: Record<string, string> = {};
  if (response.headers !== undefined && response.headers !== null) {
    if (typeof response.headers !== 'object') throw new MalformedResponseError('headers must be an object');
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === null || value === undefined) continue;
      if (typeof value === 'object') throw new MalformedResponseError(`header ${name} must be a string, number or boolean`);
      headers[name.toLowerCase()] = String(value);
    }
  }
  const cookies = Array.isArray(response.cookies) ? response.cookies.map(String) : [];
  const text = typeof response.body === 'string' ? response.body : '';
  const body = response.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  if (body.length > 0 && headers['content-type'] === undefined) headers['content-type'] = 'text/plain; charset=utf-8';
  return { statusCode, headers, cookies, body };
}
