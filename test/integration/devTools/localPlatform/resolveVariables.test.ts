import { ServerlessConfigError } from '../../../../shared/devTools/localPlatform/errors';
import { join } from 'node:path';
import { loadServerlessConfig, parseServerlessConfig } from '../../../../shared/devTools/localPlatform/serverlessConfig';
import { resolveVariables } from '../../../../shared/devTools/localPlatform/resolveVariables';

const yaml = `
service: demo
params:
  default:
    logLevel: INFO
    size: 256
  prod:
    logLevel: WARN
provider:
  name: aws
  stage: \${opt:stage, 'dev'}
  region: \${opt:region, 'us-east-1'}
  timeout: 29
  memorySize: 512
  environment:
    STAGE: \${sls:stage}
    TABLE_NAME: \${self:service}-\${sls:stage}
    LOG_LEVEL: \${param:logLevel}
    REGION: \${aws:region}
    NESTED: \${self:custom.tables.\${sls:stage}, 'no-table'}
    COPY: \${self:provider.environment.TABLE_NAME}
    SUB: arn:\${AWS::Partition}:x
custom:
  tables:
    prod: prod-table
  size: \${param:size}
functions:
  hello:
    handler: functions/http/hello.handler
    timeout: 3
    environment:
      GREETING: hi \${sls:stage}
    events:
      - httpApi:
          method: get
          path: /hello/{name}
          authorizer: apiKey
      - httpApi: 'POST /things'
      - sqs:
          arn: { 'Fn::GetAtt': [Queue, Arn] }
          batchSize: 10
`;

describe('serverless.yml variables', () => {
  it('resolves stage, region, self, params and nested variables for the given options', () => {
    // Act
    const config = parseServerlessConfig(yaml, { stage: 'prod', region: 'eu-west-1' });

    // Assess
    expect(config.stage).toBe('prod');
    expect(config.region).toBe('eu-west-1');
    expect(config.provider.environment).toEqual({
      STAGE: 'prod',
      TABLE_NAME: 'demo-prod',
      LOG_LEVEL: 'WARN',
      REGION: 'eu-west-1',
      NESTED: 'prod-table',
      COPY: 'demo-prod',
      SUB: 'arn:${AWS::Partition}:x',
    });
  });

  it('falls back to params.default, option defaults and quoted fallbacks', () => {
    // Act
    const config = parseServerlessConfig(yaml);

    // Assess
    expect(config.stage).toBe('dev');
    expect(config.region).toBe('us-east-1');
    expect(config.provider.environment).toMatchObject({ STAGE: 'dev', TABLE_NAME: 'demo-dev', LOG_LEVEL: 'INFO', NESTED: 'no-table' });
  });

  it('keeps the type of a value that is exactly one variable', () => {
    // Act
    const config = parseServerlessConfig(yaml, { stage: 'local' });

    // Assess
    expect((config.document.custom as Record<string, unknown>).size).toBe(256);
  });

  it('gives a typed view of functions and their events', () => {
    // Act
    const [hello] = parseServerlessConfig(yaml, { stage: 'local' }).functions;

    // Assess
    expect(hello).toMatchObject({
      name: 'hello',
      functionName: 'demo-local-hello',
      handlerModule: 'functions/http/hello',
      handlerExport: 'handler',
      timeoutSeconds: 3,
      memorySize: 512,
      environment: { GREETING: 'hi local' },
    });
    expect(hello?.events).toEqual([
      { type: 'httpApi', method: 'GET', path: '/hello/{name}', authorizer: 'apiKey' },
      { type: 'httpApi', method: 'POST', path: '/things' },
      { type: 'sqs', arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, batchSize: 10 },
    ]);
  });

  it('names an unknown variable source in a clear error', () => {
    // Prepare
    const document = { service: 'demo', provider: { environment: { SECRET: '${ssm:/path/to/secret}' } } };

    // Act
    const act = () => resolveVariables(document, { stage: 'dev', region: 'us-east-1' });

    // Assess
    expect(act).toThrow(ServerlessConfigError);
    expect(act).toThrow(/Unknown variable source "ssm".*provider\.environment\.SECRET/);
  });

  it("resolves the variables a param's own value holds, as osls does", () => {
    // Prepare
    const document = {
      params: { default: { region: '${aws:region}', topic: '${sls:stage}-alarms' } },
      a: '${param:region}',
      b: 'x-${param:topic}',
    };

    // Act
    const resolved = resolveVariables(document, { stage: 'dev', region: 'eu-west-1' });

    // Assess
    expect(resolved).toMatchObject({ a: 'eu-west-1', b: 'x-dev-alarms' });
  });

  it('fails clearly on a variable with no value and no fallback', () => {
    // Act
    const act = () => resolveVariables({ a: '${param:missing}' }, { stage: 'dev', region: 'us-east-1' });

    // Assess
    expect(act).toThrow(/\$\{param:missing\} at a resolved to nothing/);
  });

  it('reads env only from the environment it is given', () => {
    // Act
    const resolved = resolveVariables(
      { a: '${env:LEVEL, "debug"}', b: '${env:OTHER, "x"}' },
      { stage: 'dev', region: 'us-east-1', env: { LEVEL: 'warn' } },
    );

    // Assess
    expect(resolved).toEqual({ a: 'warn', b: 'x' });
  });

  it('reads the real serverless.yml for the local stage', () => {
    // Act
    const config = loadServerlessConfig({ rootDir: join(__dirname, '..', '..', '..', '..'), stage: 'local' });

    // Assess
    expect(config.service).toBe('inference-platform');
    expect(config.provider.environment.TABLE_NAME).toBe('inference-platform-local');
    expect(config.document.custom).toMatchObject({ apiKeyAuthorizer: { name: 'authorizer', type: 'request', resultTtlInSeconds: 0 } });
    expect(Number((config.document.custom as any).apiThrottling.rateLimit)).toBe(200);
  });
});
