import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A JSON response in API Gateway's payload v2 result shape. */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
