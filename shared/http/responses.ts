/**
 * A Lambda proxy result, as a REST API (payload 1.0) and a streaming route's prelude both
 * take it: the status, single-value headers and the body (base64 with `isBase64Encoded`).
 */
export interface RouteResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

/** A JSON response. */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): RouteResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/**
 * A binary response: the bytes go base64-encoded with `isBase64Encoded`, which API
 * Gateway decodes (binaryMediaTypes `*\/*`), so any content survives the JSON of the
 * Lambda result unchanged.
 */
export function binaryResponse(statusCode: number, body: Buffer, contentType: string, headers: Record<string, string> = {}): RouteResponse {
  return { statusCode, headers: { 'content-type': contentType, ...headers }, body: body.toString('base64'), isBase64Encoded: true };
}
