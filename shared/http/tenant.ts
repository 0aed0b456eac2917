import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda';
import { AuthenticationError } from '../errors';

/** What the authorizer hands each route about the caller. */
export interface AuthorizerContext {
  authenticated: boolean;
  tenantId?: string;
  keyId?: string;
}

/** The caller, once authenticated. */
export interface Tenant {
  tenantId: string;
  keyId: string;
}

/**
 * The tenant behind a request. The authorizer lets every request through with its
 * verdict (so a refusal can be the OpenAI 401 body, which API Gateway's own answer is
 * not); here an unauthenticated one becomes that 401.
 */
export function tenantOf(event: APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>): Tenant {
  const context = event.requestContext?.authorizer?.lambda;
  if (!context?.authenticated || !context.tenantId || !context.keyId) throw new AuthenticationError();
  return { tenantId: context.tenantId, keyId: context.keyId };
}

/** Middleware: refuses an unauthenticated request with the OpenAI 401 before anything else runs. */
export function requireTenant(): { before: (request: { event: unknown }) => void } {
  return {
    before: (request) => {
      tenantOf(request.event as APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>);
    },
  };
}
