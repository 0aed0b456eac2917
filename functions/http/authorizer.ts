import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { ApiKeyAuthenticator, DynamoDbApiKeyStore } from '../../shared/auth';
import { createDocumentClient } from '../../shared/aws/clients';
import { loadConfig, requireTableName } from '../../shared/config/config';
import type { AuthorizerContext } from '../../shared/http/tenant';
import { logger } from '../../shared/observability/logger';

type Result = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;

/**
 * The API's request authorizer. It always lets the request through with its verdict in
 * the context: an HTTP API authorizer can only refuse with API Gateway's own 403 body,
 * while OpenAI clients expect a 401 in the OpenAI error shape, which the route answers.
 */
export const createHandler = (authenticator: ApiKeyAuthenticator) =>
  async (event: APIGatewayRequestAuthorizerEventV2): Promise<Result> => {
    const principal = await authenticator.authenticate(event.headers?.authorization);
    if (!principal) logger.info('unauthenticated request', { routeKey: event.routeKey });
    return { isAuthorized: true, context: principal ? { authenticated: true, ...principal } : { authenticated: false } };
  };

const config = loadConfig();
const store = new DynamoDbApiKeyStore({ client: createDocumentClient(), tableName: requireTableName(config) });
export const handler = createHandler(new ApiKeyAuthenticator(store, { cacheTtlMs: config.authCacheTtlMs }));
