import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A JSON response in API Gateway's payload v2 result shape. */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/**
 * A binary response: the bytes go base64-encoded with `isBase64Encoded`, which API
 * Gateway decodes, so any content survives the JSON of the Lambda result unchanged.
 */
export function binaryResponse(statusCode: number, body: Buffer, contentType: string, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': contentType, ...headers }, body: body.toString('base64'), isBase64Encoded: true };
}
