import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { logger } from '../observability/logger';
import { jsonBody, type WithJsonBody } from './jsonBody';
import { openAiErrors } from './openAiErrors';
import { requireTenant, tenantOf, type AuthorizerContext, type Tenant } from './tenant';

/** The event an authenticated route receives. */
export type RouteEvent = WithJsonBody<APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>>;

/** What a route's own code gets: the event, the caller, the parsed body and the time it has. */
export interface RouteInput {
  event: RouteEvent;
  tenant: Tenant;
  body: unknown;
  /** Absolute time (ms since the epoch) by which the answer must be sent. */
  deadline: number;
}

/** How a route is wired. */
export interface RouteOptions {
  /** Parse a JSON body, up to this many bytes. */
  jsonBodyMaxBytes?: number;
  /** Parse the JSON body only of the requests this accepts (default: every request). */
  jsonBodyWhen?: (event: APIGatewayProxyEventV2) => boolean;
  /** Let callers in without a key (health). */
  anonymous?: boolean;
}

/**
 * Builds a Lambda handler for an HTTP API route: structured logging with the Lambda
 * context, authentication, JSON body parsing and the one error mapping, around `route`.
 */
export function httpRoute(
  route: (input: RouteInput) => Promise<APIGatewayProxyStructuredResultV2>,
  options: RouteOptions = {},
) {
  const handler = middy<RouteEvent, APIGatewayProxyStructuredResultV2, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(openAiErrors());
  if (!options.anonymous) handler.use(requireTenant());
  if (options.jsonBodyMaxBytes !== undefined) handler.use(jsonBody({ maxBytes: options.jsonBodyMaxBytes, when: options.jsonBodyWhen }));
  return handler.handler(async (event, context) => route({
    event,
    tenant: options.anonymous ? { tenantId: 'anonymous', keyId: 'none' } : tenantOf(event),
    body: event.jsonBody,
    deadline: Date.now() + context.getRemainingTimeInMillis(),
  }));
}
