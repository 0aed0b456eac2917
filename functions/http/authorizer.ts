import type { APIGatewayAuthorizerWithContextResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { ApiKeyAuthenticator } from '../../shared/auth/ApiKeyAuthenticator';
import { createApiKeyStore } from '../../shared/wiring/auth';
import { loadConfig } from '../../shared/config/config';
import type { AuthorizerContext } from '../../shared/http/tenant';
import { withMetrics } from '../../shared/observability/withMetrics';
import { logger } from '../../shared/observability/logger';

type Result =
  | APIGatewayAuthorizerWithContextResult<AuthorizerContext & Record<string, string>>
  | APIGatewayAuthorizerWithContextResult<Record<string, never>>;

/**
 * The REST API's Lambda REQUEST authorizer. API Gateway calls it for every request (no
 * identity source, no caching). A known key is allowed on this method with the tenant in
 * the context (routes read `requestContext.authorizer.tenantId`/`keyId`/`role`); anything else is
 * denied, which API Gateway answers itself with the ACCESS_DENIED gateway response,
 * customised in serverless.yml to OpenAI's 401 `invalid_api_key` body.
 */
export const createHandler =
  (authenticator: ApiKeyAuthenticator) =>
  async (event: APIGatewayRequestAuthorizerEvent): Promise<Result> => {
    const principal = await authenticator.authenticate(headerOf(event, 'authorization'));
    if (!principal) {
      logger.info('unauthenticated request', { method: event.httpMethod, resource: event.resource });
      return { principalId: 'anonymous', policyDocument: policy('Deny', event.methodArn), context: {} };
    }
    return {
      principalId: principal.tenantId,
      policyDocument: policy('Allow', event.methodArn),
      context: {
        tenantId: principal.tenantId,
        keyId: principal.keyId,
        role: principal.role,
        // Context values are strings: the key's own limits travel as JSON.
        ...(principal.limits ? { keyLimits: JSON.stringify(principal.limits) } : {}),
      },
    };
  };

function policy(effect: 'Allow' | 'Deny', methodArn: string) {
  return { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: methodArn }] };
}

/** A REST API passes header names as the client cased them. */
function headerOf(event: APIGatewayRequestAuthorizerEvent, name: string): string | undefined {
  const found = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return found?.[1] ?? undefined;
}

const config = loadConfig();
const store = createApiKeyStore(config);
export const handler = withMetrics(
  createHandler(
    new ApiKeyAuthenticator(store, {
      cacheTtlMs: config.authCacheTtlMs,
      onRecordUseError: (error) => logger.warn("an API key's last use was not recorded", { error: error as Error }),
    }),
  ),
);
