import { join } from 'node:path';
import { HttpApiRouter, httpApiRoutesFrom } from '../../../shared/local/httpApiRoutes';
import type { LocalFunction } from '../../../shared/local/localFunction';
import { loadServerlessConfig, parseServerlessConfig } from '../../../shared/local/serverlessConfig';

const functionFor = (key: string): LocalFunction => ({ functionName: key, timeoutSeconds: 1, memorySize: 128, loadHandler: async () => () => null });

describe('routes from serverless.yml', () => {
  it('serves every httpApi event, behind the apiKey authorizer except /health', () => {
    // Prepare
    const config = loadServerlessConfig({ rootDir: join(__dirname, '..', '..', '..'), stage: 'local' });

    // Act
    const routes = httpApiRoutesFrom(config, functionFor);

    // Assess
    const summary = routes.map((route) => [`${route.method} ${route.path}`, route.function.functionName, route.authorizer?.function.functionName]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['POST /v1/chat/completions', 'chatCompletions', 'authorizer'],
        ['POST /v1/embeddings', 'embeddings', 'authorizer'],
        ['GET /v1/models', 'models', 'authorizer'],
        ['GET /v1/models/{model}', 'models', 'authorizer'],
        ['GET /health', 'health', undefined],
      ]),
    );
    expect(routes.every((route) => !route.authorizer || route.authorizer.enableSimpleResponses)).toBe(true);
  });

  it('matches a {param} route and decodes the parameter', () => {
    // Prepare
    const router = new HttpApiRouter(httpApiRoutesFrom(loadServerlessConfig({ rootDir: join(__dirname, '..', '..', '..'), stage: 'local' }), functionFor));

    // Act
    const match = router.match('GET', '/v1/models/gpt%2Foss');

    // Assess
    expect(match).toMatchObject({ routeKey: 'GET /v1/models/{model}', pathParameters: { model: 'gpt/oss' } });
    expect(router.match('POST', '/v1/models')).toBeUndefined();
  });

  it('catches everything else with a `*` event as $default', () => {
    // Prepare
    const config = parseServerlessConfig('service: s\nfunctions:\n  all:\n    handler: a.handler\n    events:\n      - httpApi: "*"\n  one:\n    handler: b.handler\n    events:\n      - httpApi: GET /one\n');
    const router = new HttpApiRouter(httpApiRoutesFrom(config, functionFor));

    // Act
    const one = router.match('GET', '/one');
    const other = router.match('PATCH', '/any/thing');

    // Assess
    expect(one?.route.function.functionName).toBe('one');
    expect(other).toMatchObject({ routeKey: '$default' });
  });

  it('refuses authorizers it does not emulate, by name', () => {
    // Prepare
    const config = parseServerlessConfig(
      'service: s\nprovider:\n  httpApi:\n    authorizers:\n      jwtAuth:\n        type: jwt\n        issuerUrl: https://x\nfunctions:\n  f:\n    handler: a.handler\n    events:\n      - httpApi:\n          method: GET\n          path: /\n          authorizer: jwtAuth\n',
    );

    // Act
    const act = () => httpApiRoutesFrom(config, functionFor);

    // Assess
    expect(act).toThrow(/jwtAuth.*only Lambda request authorizers/);
  });
});
