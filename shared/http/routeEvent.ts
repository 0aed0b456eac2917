import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * A request as every route reads it, whatever API Gateway sent. The deployed API is a
 * REST API, whose Lambda proxy events are payload 1.0 (`httpMethod`, `resource`, `path`,
 * headers as the client cased them, single- and multi-value maps); this is the one place
 * that turns such an event into the shape below, so no handler reads the raw event.
 */
export interface RouteEvent {
  /** `METHOD /resource/{param}` as serverless.yml declares the route: `GET /v1/files/{fileId}`. */
  routeKey: string;
  method: string;
  /** The request path, without the stage: `/v1/files/file-abc`. */
  path: string;
  /** Lower-case names; a repeated header's values joined with `,`. */
  headers: Record<string, string>;
  /** Decoded; a repeated parameter's values joined with `,`. */
  queryStringParameters?: Record<string, string>;
  pathParameters?: Record<string, string>;
  /** The body as API Gateway passed it: base64 when `isBase64Encoded` (always, with binaryMediaTypes `*\/*`). */
  body?: string | null;
  isBase64Encoded: boolean;
  /** API Gateway's request id. */
  requestId?: string;
  /** What the authorizer put in the context (strings, as API Gateway passes them). */
  authorizer: Record<string, unknown>;
}

/** The {@link RouteEvent} of a REST API (payload 1.0) proxy event. */
export function toRouteEvent(event: APIGatewayProxyEvent): RouteEvent {
  const method = event.httpMethod ?? event.requestContext?.httpMethod ?? 'GET';
  const resource = event.resource ?? event.requestContext?.resourcePath ?? event.path ?? '/';
  const query = joined(event.multiValueQueryStringParameters, event.queryStringParameters, false);
  return {
    routeKey: `${method} ${resource}`,
    method,
    path: event.path ?? '/',
    headers: joined(event.multiValueHeaders, event.headers, true) ?? {},
    ...(query ? { queryStringParameters: query } : {}),
    ...(event.pathParameters ? { pathParameters: definedValues(event.pathParameters) } : {}),
    body: event.body ?? null,
    isBase64Encoded: event.isBase64Encoded === true,
    ...(event.requestContext?.requestId ? { requestId: event.requestContext.requestId } : {}),
    authorizer: (event.requestContext?.authorizer as Record<string, unknown> | null | undefined) ?? {},
  };
}

/**
 * The single-value map (API Gateway's last value of each name), where the multi-value
 * map holds several values for a name those values joined with `,`.
 */
function joined(
  multi: Record<string, string[] | undefined> | null | undefined,
  single: Record<string, string | undefined> | null | undefined,
  lowerCase: boolean,
): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(single ?? {})) {
    if (value === undefined || value === null) continue;
    const values = multi?.[key];
    const name = lowerCase ? key.toLowerCase() : key;
    const joinedValue = values && values.length > 1 ? values.join(',') : value;
    out[name] = out[name] === undefined ? joinedValue : `${out[name]},${joinedValue}`;
  }
  return Object.keys(out).length ? out : undefined;
}

function definedValues(map: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
