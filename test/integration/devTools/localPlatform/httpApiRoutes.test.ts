import { join } from 'node:path';
import {
  HttpApiRouter,
  httpApiRoutesFrom,
  methodLogicalId,
  restApiSettingsFrom,
} from '../../../../shared/devTools/localPlatform/httpApiRoutes';
import type { LocalFunction } from '../../../../shared/devTools/localPlatform/localFunction';
import { loadServerlessConfig, parseServerlessConfig } from '../../../../shared/devTools/localPlatform/serverlessConfig';

const functionFor = (key: string): LocalFunction => ({
  functionName: key,
  timeoutSeconds: 1,
  memorySize: 128,
  loadHandler: async () => () => null,
});

describe('routes from serverless.yml', () => {
  it('serves every http event (REST API), behind the authorizer except /health and the status page, streaming chat, responses, file content and upload completion', () => {
    // Prepare
    const config = loadServerlessConfig({ rootDir: join(__dirname, '..', '..', '..', '..'), stage: 'local' });

    // Act
    const routes = httpApiRoutesFrom(config, functionFor);

    // Assess
    const summary = routes.map((route) => [
      `${route.method} ${route.path}`,
      route.function.functionName,
      route.authorizer?.function.functionName,
      route.streaming === true,
    ]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['POST /v1/chat/completions', 'chatCompletions', 'authorizer', true],
        ['POST /v1/responses', 'responses', 'authorizer', true],
        ['POST /v1/embeddings', 'embeddings', 'authorizer', false],
        ['GET /v1/models', 'models', 'authorizer', false],
        ['GET /v1/models/{model}', 'models', 'authorizer', false],
        ['GET /health', 'health', undefined, false],
        ['GET /console', 'console', undefined, false],
        ['GET /console/{file}', 'console', undefined, false],
        ['GET /v1/status', 'status', 'authorizer', false],
        ['GET /v1/requests', 'asyncRequests', 'authorizer', false],
      ]),
    );
    expect(
      routes
        .filter((route) => route.streaming)
        .map((route) => route.path)
        .sort(),
    ).toEqual(['/v1/chat/completions', '/v1/files/{fileId}/content', '/v1/responses', '/v1/uploads/{uploadId}/complete']);
  });

  it("reads the REST API's binary media types and gateway responses from serverless.yml", () => {
    // Act
    const settings = restApiSettingsFrom(loadServerlessConfig({ rootDir: join(__dirname, '..', '..', '..', '..'), stage: 'local' }));

    // Assess
    expect(settings.binaryMediaTypes).toEqual(['*/*']);
    expect(settings.gatewayResponses.ACCESS_DENIED).toMatchObject({ statusCode: 401, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(settings.gatewayResponses.ACCESS_DENIED!.body!)).toMatchObject({
      error: { code: 'invalid_api_key', type: 'authentication_error' },
    });
    expect(settings.gatewayResponses.UNAUTHORIZED?.body).toBe(settings.gatewayResponses.ACCESS_DENIED?.body);
    expect(settings.gatewayResponses.MISSING_AUTHENTICATION_TOKEN).toMatchObject({ statusCode: 404, body: '{"message":"Not Found"}' });
  });

  it("names a method's resource as osls does", () => {
    expect(methodLogicalId('/v1/chat/completions', 'POST')).toBe('ApiGatewayMethodV1ChatCompletionsPost');
    expect(methodLogicalId('/v1/files/{fileId}/content', 'GET')).toBe('ApiGatewayMethodV1FilesFileidVarContentGet');
    expect(methodLogicalId('/a-b', 'ANY')).toBe('ApiGatewayMethodADashbAny');
  });

  it('matches a {param} route and decodes the parameter', () => {
    // Prepare
    const router = new HttpApiRouter(
      httpApiRoutesFrom(loadServerlessConfig({ rootDir: join(__dirname, '..', '..', '..', '..'), stage: 'local' }), functionFor),
    );

    // Act
    const match = router.match('GET', '/v1/models/gpt%2Foss');

    // Assess
    expect(match).toMatchObject({ routeKey: 'GET /v1/models/{model}', pathParameters: { model: 'gpt/oss' } });
    expect(router.match('POST', '/v1/models')).toBeUndefined();
  });

  it('refuses authorizers it does not emulate', () => {
    // Prepare
    const yaml = (authorizer: string) =>
      `service: s\nfunctions:\n  f:\n    handler: a.handler\n    events:\n      - http:\n          method: GET\n          path: /\n          authorizer: ${authorizer}\n`;

    // Act
    const token = () => httpApiRoutesFrom(parseServerlessConfig(yaml('{ name: auth }')), functionFor);
    const cached = () => httpApiRoutesFrom(parseServerlessConfig(yaml('{ name: auth, type: request }')), functionFor);

    // Assess
    expect(token).toThrow(/only Lambda REQUEST authorizers/);
    expect(cached).toThrow(/caching and identity sources are not emulated/);
  });
});
