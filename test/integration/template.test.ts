import { join } from 'node:path';
import { loadServerlessConfig } from '../../shared/devTools/localPlatform/serverlessConfig';
import { PACKAGE_WAIT_MS, packageTemplate, type TemplateResource } from '../helpers/packageTemplate';

/**
 * Packages the service with osls (offline, dummy credentials) and checks the
 * CloudFormation template it would deploy, with the default parameters. Resources are
 * found by type and properties, never by count, so resources added later do not break
 * these checks. templateNetwork.test.ts and templateFleet.test.ts package other parameters.
 */
type Resource = TemplateResource;

const ROOT = join(__dirname, '..', '..');
const STAGE = 'test';
const FUNCTIONS = [
  'authorizer',
  'admin',
  'chatCompletions',
  'responses',
  'embeddings',
  'models',
  'health',
  'console',
  'status',
  'requests',
  'requestsDeadLetters',
];
/** Routes without the authorizer: liveness, and the status page's files (the page asks for a key itself). */
const PUBLIC_ROUTES = ['/health', '/console', '/console/{file}'];

let resources: Record<string, Resource>;
let conditions: Record<string, unknown>;
let consoleZip: Buffer;

beforeAll(async () => {
  const template = await packageTemplate(STAGE, {}, { files: ['console.zip'] });
  consoleZip = template.files['console.zip']!;
  resources = template.Resources;
  conditions = template.Conditions ?? {};
}, PACKAGE_WAIT_MS);

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

function lambdaFunction(name: string): Resource {
  const found = ofType('AWS::Lambda::Function').find(([, fn]) => fn.Properties.FunctionName === `inference-platform-${STAGE}-${name}`);
  if (!found) throw new Error(`No Lambda function ${name} in the template`);
  return found[1];
}

/** Every IAM statement of a role's inline policies. */
function statementsOf(roleLogicalId: string): Array<{ Effect: string; Action: string | string[]; Resource: unknown }> {
  const role = resources[roleLogicalId];
  return (role?.Properties.Policies ?? []).flatMap((policy: any) => policy.PolicyDocument.Statement);
}

const actionsOf = (statement: { Action: string | string[] }) => [statement.Action].flat();

describe('the CloudFormation template osls packages', () => {
  it.each(FUNCTIONS)('deploys %s on nodejs22.x, arm64', (name) => {
    // Act
    const fn = lambdaFunction(name);

    // Assess
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
  });

  /** Every `http` event of serverless.yml as `METHOD /path`. */
  function httpEvents(): Array<{ method: string; path: string; authorizer?: unknown }> {
    const config = loadServerlessConfig({ rootDir: ROOT, stage: STAGE });
    return config.functions.flatMap((fn) =>
      fn.events.flatMap((event) =>
        event.type === 'other' && event.name === 'http' ? [event.definition as { method: string; path: string; authorizer?: unknown }] : [],
      ),
    );
  }

  /** The REST API's methods by `METHOD /path`, the path rebuilt from the resource chain. */
  function restMethods(): Map<string, Record<string, any>> {
    const pathOf = (resource: unknown): string => {
      const ref = (resource as { Ref?: string } | undefined)?.Ref;
      if (!ref || ref === undefined) return '';
      const node = resources[ref];
      if (!node) return '';
      return `${pathOf(node.Properties.ParentId)}/${node.Properties.PathPart}`;
    };
    return new Map(
      ofType('AWS::ApiGateway::Method').map(([, method]) => [
        `${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId)}`,
        method.Properties,
      ]),
    );
  }

  it('serves every http event on the one REST API (no HTTP API left), behind the REQUEST authorizer on all but /health and the status page', () => {
    // Prepare
    const events = httpEvents();
    const methods = restMethods();
    const [authorizerId] =
      ofType('AWS::ApiGateway::Authorizer').find(([, authorizer]) => authorizer.Properties.Name === 'authorizer') ?? [];
    const [restApiId] = ofType('AWS::ApiGateway::RestApi')[0] ?? [];

    // Assess
    expect(ofType('AWS::ApiGatewayV2::Api')).toEqual([]);
    expect(ofType('AWS::ApiGateway::RestApi')).toHaveLength(1);
    expect(events.length).toBeGreaterThanOrEqual(16);
    expect(methods.size).toBe(events.length);
    for (const event of events) {
      const method = methods.get(`${event.method.toUpperCase()} ${event.path}`);
      expect(method).toBeDefined();
      expect(method?.RestApiId).toEqual({ Ref: restApiId });
      expect(method?.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      if (PUBLIC_ROUTES.includes(event.path)) {
        expect(method).toMatchObject({ AuthorizationType: 'NONE' });
        expect(method?.AuthorizerId).toBeUndefined();
      } else {
        expect(method).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      }
    }
  });

  it('serves the status page and what it reads: GET /console and its files without a key; /v1/status and the request list with one', () => {
    // Prepare
    const methods = restMethods();
    // Assess
    for (const route of ['GET /console', 'GET /console/{file}']) expect(methods.get(route)).toMatchObject({ AuthorizationType: 'NONE' });
    for (const route of ['GET /v1/status', 'GET /v1/requests', 'GET /v1/batches', 'GET /v1/models'])
      expect(methods.get(route)).toMatchObject({ AuthorizationType: 'CUSTOM' });
    // The page's function reaches nothing in AWS, and the status function calls GPU servers only.
    expect(
      statementsOf(lambdaFunction('console').Properties.Role['Fn::GetAtt'][0])
        .filter((s) => s.Effect === 'Allow')
        .flatMap(actionsOf),
    ).toEqual(expect.not.arrayContaining([expect.stringMatching(/^(dynamodb|s3|sqs|bedrock):/)]));
    expect(statementsOf(lambdaFunction('status').Properties.Role['Fn::GetAtt'][0]).flatMap(actionsOf)).toEqual(
      expect.not.arrayContaining([expect.stringMatching(/^(dynamodb|s3|sqs|bedrock):/)]),
    );
  });

  it("packages the status page's files beside the console function's bundle", () => {
    // Act: a zip's central directory names each file in plain bytes.
    const zip = consoleZip;
    // Assess
    for (const file of [
      'functions/http/console.js',
      'shared/console/console.html',
      'shared/console/console.css',
      'shared/console/console.js',
    ])
      expect(zip.includes(Buffer.from(file))).toBe(true);
  });

  it("lets the async requests function list a tenant's requests through gsi1", () => {
    const statements = statementsOf(lambdaFunction('asyncRequests').Properties.Role['Fn::GetAtt'][0]);
    const queries = statements.filter((statement) => actionsOf(statement).includes('dynamodb:Query'));
    expect(queries.some((statement) => JSON.stringify(statement.Resource).includes('/index/gsi1'))).toBe(true);
  });

  it('defines the authorizer as a Lambda REQUEST authorizer called on every request (no cache, no identity source)', () => {
    // Act
    const [, authorizer] = ofType('AWS::ApiGateway::Authorizer').find(([, candidate]) => candidate.Properties.Name === 'authorizer') ?? [];

    // Assess
    expect(authorizer?.Properties).toMatchObject({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0 });
    expect(authorizer?.Properties.IdentitySource).toBeUndefined();
    expect(JSON.stringify(authorizer?.Properties.AuthorizerUri)).toContain('AuthorizerLambdaFunction');
  });

  it.each([
    ['POST /v1/chat/completions', 'ChatCompletionsLambdaFunction', 'chatCompletions'],
    ['POST /v1/responses', 'ResponsesLambdaFunction', 'responses'],
    ['GET /v1/files/{fileId}/content', 'FileContentLambdaFunction', 'fileContent'],
    ['POST /v1/uploads/{uploadId}/complete', 'UploadCompleteLambdaFunction', 'uploadComplete'],
  ])('streams %s: ResponseTransferMode STREAM, the response-streaming-invocations URI, 15 minutes', (route, logicalId, name) => {
    // Act
    const integration = restMethods().get(route)?.Integration;

    // Assess
    expect(integration).toMatchObject({
      Type: 'AWS_PROXY',
      IntegrationHttpMethod: 'POST',
      ResponseTransferMode: 'STREAM',
      TimeoutInMillis: 900_000,
    });
    const uri = integration.Uri['Fn::Join'][1];
    expect(uri).toContainEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
    expect(uri.filter((part: unknown) => typeof part === 'string').join('')).toMatch(
      /:lambda:path\/2021-11-15\/functions\/\/response-streaming-invocations$/,
    );
    expect(lambdaFunction(name).Properties.Timeout).toBeGreaterThanOrEqual(300);
  });

  const STREAMED = [
    'POST /v1/chat/completions',
    'POST /v1/responses',
    'GET /v1/files/{fileId}/content',
    'POST /v1/uploads/{uploadId}/complete',
  ];

  it('keeps every other route a buffered proxy integration (Invoke, 2015-03-31)', () => {
    for (const [route, method] of restMethods()) {
      if (STREAMED.includes(route)) continue;
      expect(method.Integration.ResponseTransferMode).toBeUndefined();
      expect(JSON.stringify(method.Integration.Uri)).toContain('/2015-03-31/functions/');
    }
  });

  it('throttles the whole stage, and takes every body as binary (*/*)', () => {
    // Act
    const deployments = ofType('AWS::ApiGateway::Deployment');
    const [, api] = ofType('AWS::ApiGateway::RestApi')[0]!;

    // Assess
    expect(deployments).toHaveLength(1);
    expect(deployments[0]![1].Properties.StageDescription).toMatchObject({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 });
    expect(deployments[0]![1].Properties.StageName).toBe(STAGE);
    expect(api.Properties.BinaryMediaTypes).toEqual(['*/*']);
  });

  it("answers a refused key with OpenAI's 401 invalid_api_key body (UNAUTHORIZED, ACCESS_DENIED), an unknown route with 404", () => {
    // Prepare
    const responses = new Map<string, Record<string, any>>(
      ofType('AWS::ApiGateway::GatewayResponse').map(([id, response]) => [
        response.Properties.ResponseType as string,
        { id, ...response.Properties },
      ]),
    );
    const [deploymentId, deployment] = ofType('AWS::ApiGateway::Deployment')[0]!;

    // Assess
    for (const type of ['UNAUTHORIZED', 'ACCESS_DENIED']) {
      const response = responses.get(type);
      expect(response).toMatchObject({ StatusCode: '401', RestApiId: { Ref: 'ApiGatewayRestApi' } });
      expect(JSON.parse(response!.ResponseTemplates['application/json'])).toEqual({
        error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'invalid_api_key' },
      });
      expect([deployment.DependsOn].flat()).toContain(response!.id);
    }
    expect(responses.get('MISSING_AUTHENTICATION_TOKEN')).toMatchObject({ StatusCode: '404' });
    expect(deploymentId).toMatch(/^ApiGatewayDeployment/);
  });

  it("removes Upload parts left behind and unfinished multipart uploads with the bucket's lifecycle rules", () => {
    // Act
    const [, bucket] = ofType('AWS::S3::Bucket').find(([, candidate]) => candidate.Properties.NotificationConfiguration) ?? [];
    const rules = bucket?.Properties.LifecycleConfiguration?.Rules ?? [];

    // Assess
    expect(rules).toContainEqual(expect.objectContaining({ Status: 'Enabled', Prefix: 'uploads/', ExpirationInDays: 1 }));
    expect(rules).toContainEqual(
      expect.objectContaining({ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
    );
  });

  it('defines the table with pk/sk, gsi1, on demand, with PITR and SSE', () => {
    // Act
    const [, table] =
      ofType('AWS::DynamoDB::Table').find(([, candidate]) => candidate.Properties.TableName === `inference-platform-${STAGE}`) ?? [];

    // Assess
    expect(table?.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    const gsi1 = table?.Properties.GlobalSecondaryIndexes.find((index: any) => index.IndexName === 'gsi1');
    expect(gsi1?.KeySchema).toEqual([
      { AttributeName: 'gsi1pk', KeyType: 'HASH' },
      { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
    ]);
  });

  it.each([
    ['requests', 'RequestsQueue'],
    ['requestsDeadLetters', 'RequestsDeadLetterQueue'],
  ])('feeds %s from %s with ReportBatchItemFailures, the queue hiding a message six times the function timeout', (name, queueId) => {
    // Prepare
    const fn = lambdaFunction(name);
    const functionId = ofType('AWS::Lambda::Function').find(([, candidate]) => candidate === fn)![0];

    // Act
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(
      ([, mapping]) => mapping.Properties.FunctionName?.['Fn::GetAtt']?.[0] === functionId,
    );

    // Assess: AWS's guidance for an SQS event source: visibility timeout at least six times the function's timeout.
    expect(mappings.map(([, mapping]) => mapping.Properties.EventSourceArn)).toEqual([{ 'Fn::GetAtt': [queueId, 'Arn'] }]);
    expect(mappings[0]![1].Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(resources[queueId]!.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
  });

  it('gives each function its own IAM role', () => {
    // Prepare
    const functionsByRole = new Map<string, string[]>();
    for (const name of FUNCTIONS) {
      const role = String(lambdaFunction(name).Properties.Role?.['Fn::GetAtt']?.[0]);
      functionsByRole.set(role, [...(functionsByRole.get(role) ?? []), name]);
    }

    // Act
    const shared = [...functionsByRole].filter(([, names]) => names.length > 1).map(([role, names]) => `${role}: ${names.join(', ')}`);

    // Assess
    expect(shared).toEqual([]);
    for (const role of functionsByRole.keys()) expect(resources[role]?.Type).toBe('AWS::IAM::Role');
  });

  it('allows Bedrock only by named actions, never `*`', () => {
    // Prepare
    const statements = ofType('AWS::IAM::Role').flatMap(([logicalId]) => statementsOf(logicalId));
    const bedrock = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('bedrock:')));

    // Assess
    expect(bedrock.length).toBeGreaterThan(0);
    for (const statement of bedrock) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
    }
    for (const statement of statements) expect(actionsOf(statement)).not.toContain('*');
  });

  it('lets the model-calling functions invoke Bedrock, and the others not', () => {
    // Prepare
    const canInvoke = (name: string) =>
      statementsOf(lambdaFunction(name).Properties.Role['Fn::GetAtt'][0]).some((statement) =>
        actionsOf(statement).includes('bedrock:InvokeModel'),
      );

    // Assess
    expect(canInvoke('chatCompletions')).toBe(true);
    expect(canInvoke('responses')).toBe(true);
    expect(canInvoke('embeddings')).toBe(true);
    expect(canInvoke('authorizer')).toBe(false);
    expect(canInvoke('admin')).toBe(false);
  });

  it('serves the admin routes behind the authorizer, and gives each function only the table access it needs', () => {
    // Prepare
    const routes = httpEvents().map((event) => `${event.method.toUpperCase()} ${event.path}`);
    const tableActions = (name: string) =>
      statementsOf(lambdaFunction(name).Properties.Role['Fn::GetAtt'][0])
        .filter((statement) => JSON.stringify(statement.Resource).includes('PlatformTable'))
        .flatMap(actionsOf);

    // Assess
    expect(routes).toEqual(
      expect.arrayContaining(['POST /v1/admin/keys', 'GET /v1/admin/keys', 'DELETE /v1/admin/keys/{keyId}', 'GET /v1/admin/usage']),
    );
    for (const event of httpEvents().filter((candidate) => candidate.path.startsWith('/v1/admin/'))) {
      expect(event.authorizer).toMatchObject({ name: 'authorizer', type: 'request' });
    }
    // Listing keys scans (keys issued before the index carry no index attributes); nothing deletes a key.
    expect(tableActions('admin').sort()).toEqual(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:UpdateItem'].sort(),
    );
    // The authorizer writes a key's last use; the real-time routes add to usage counters and admit
    // each request (rate-limit counters: UpdateItem; a tenant's limits: GetItem; the month's usage
    // for its budget: Query; a budget warning claimed once: PutItem), and nothing more.
    expect(tableActions('authorizer').sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    for (const name of ['chatCompletions', 'responses', 'embeddings'])
      expect(tableActions(name).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
  });

  it('serves POST /v1/files/presigned from the files function, whose role may PUT (and HEAD) under files/ only', () => {
    // Prepare
    const methods = restMethods();
    const s3Statements = statementsOf(lambdaFunction('files').Properties.Role['Fn::GetAtt'][0]).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('s3:')),
    );
    const putResources = s3Statements
      .filter((statement) => actionsOf(statement).includes('s3:PutObject'))
      .map((statement) => JSON.stringify(statement.Resource));

    // Assess
    expect(methods.get('POST /v1/files/presigned')).toMatchObject({ AuthorizationType: 'CUSTOM' });
    expect(JSON.stringify(methods.get('POST /v1/files/presigned')?.Integration)).toContain('FilesLambdaFunction');
    expect(putResources.some((resource) => resource.includes('/files/*'))).toBe(true);
    for (const resource of putResources) expect(resource).not.toMatch(/PlatformBucket","Arn"\]\}"?\]?$/);
    expect(s3Statements.flatMap(actionsOf)).toContain('s3:GetObject');
  });
});

describe('operations: dashboard, alarms and their subscription', () => {
  const NAMESPACE = `InferencePlatform/${STAGE}`;
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
  const alarmOn = (namespace: string, metricName: string, dimension?: { Name: string; Value: unknown }) =>
    alarms().filter(
      (alarm) =>
        alarm.Namespace === namespace &&
        alarm.MetricName === metricName &&
        (dimension === undefined || JSON.stringify(alarm.Dimensions).includes(JSON.stringify(dimension))),
    );

  /** The dashboard's body, its Fn::Join rebuilt with a region. */
  function dashboardBody(): { widgets: Array<{ properties: { title: string; region: string; metrics: unknown[][] } }> } {
    const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0] ?? [];
    if (!dashboard) throw new Error('No AWS::CloudWatch::Dashboard in the template');
    const [separator, parts] = dashboard.Properties.DashboardBody['Fn::Join'] as [string, unknown[]];
    return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'us-east-1')).join(separator));
  }

  it('has a dashboard with traffic, tokens, errors, fallbacks, queue depths, job throughput and per-backend latency', () => {
    // Act
    const body = dashboardBody();
    const metricsOf = (title: RegExp) =>
      JSON.stringify(body.widgets.find((widget) => title.test(widget.properties.title))?.properties.metrics ?? null);

    // Assess
    expect(body.widgets.every((widget) => widget.properties.region === 'us-east-1')).toBe(true);
    expect(metricsOf(/^Traffic/)).toContain('"Requests"');
    expect(metricsOf(/^Tokens/)).toContain('"InputTokens"');
    expect(metricsOf(/^Tokens/)).toContain('"OutputTokens"');
    expect(metricsOf(/^Errors/)).toContain('"RequestErrors"');
    expect(metricsOf(/^Errors/)).toContain('"5XXError"');
    expect(metricsOf(/^Fallbacks/)).toContain('"Fallbacks"');
    expect(metricsOf(/^Fallbacks/)).toContain('"CircuitOpens"');
    for (const queue of ['ingest', 'work', 'finalize', 'requests', 'results', 'work-dlq']) {
      expect(metricsOf(/^Queue depths/)).toContain(`"inference-platform-${STAGE}-${queue}"`);
    }
    expect(metricsOf(/^Job throughput/)).toContain('"LinesPerSecond"');
    expect(metricsOf(/^Job throughput/)).toContain('"JobBacklogLines"');
    expect(metricsOf(/^Backend latency/)).toContain('BackendLatency');
    expect(metricsOf(/^Backend latency/)).toContain("'p99'");
    expect(metricsOf(/^Traffic/)).toContain(`"${NAMESPACE}"`);
  });

  it.each([
    'authorizer',
    'admin',
    'chatCompletions',
    'responses',
    'embeddings',
    'models',
    'health',
    'files',
    'fileContent',
    'uploads',
    'uploadComplete',
    'batches',
    'ingest',
    'worker',
    'finalize',
    'requests',
    'asyncRequests',
    'expireJobs',
    'poolBacklog',
    'batchInference',
  ])('alarms on the errors and the throttles of %s', (name) => {
    // Prepare
    const functionId = ofType('AWS::Lambda::Function').find(
      ([, fn]) => fn.Properties.FunctionName === `inference-platform-${STAGE}-${name}`,
    )?.[0];

    // Act
    const errors = alarmOn('AWS/Lambda', 'Errors', { Name: 'FunctionName', Value: { Ref: functionId } });
    const throttles = alarmOn('AWS/Lambda', 'Throttles', { Name: 'FunctionName', Value: { Ref: functionId } });

    // Assess
    expect(functionId).toBeDefined();
    expect(errors).toHaveLength(1);
    expect(throttles).toHaveLength(1);
    expect(errors[0]!.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
  });

  it('has an alarm on every function of serverless.yml', () => {
    // Act
    const functionIds = ofType('AWS::Lambda::Function').map(([id]) => id);
    const watched = new Set(alarmOn('AWS/Lambda', 'Errors').map((alarm) => alarm.Dimensions[0].Value.Ref));

    // Assess
    expect(functionIds.filter((id) => !watched.has(id))).toEqual([]);
  });

  it("alarms on the REST API's 5xx, by its name", () => {
    // Prepare
    const apiName = ofType('AWS::ApiGateway::RestApi')[0]![1].Properties.Name;

    // Assess
    expect(alarmOn('AWS/ApiGateway', '5XXError', { Name: 'ApiName', Value: apiName })).toHaveLength(1);
  });

  it('alarms on every dead-letter queue', () => {
    // Prepare
    const dlqs = ofType('AWS::SQS::Queue')
      .filter(([, queue]) => String(queue.Properties.QueueName).endsWith('-dlq'))
      .map(([id]) => id);

    // Assess
    expect(dlqs.length).toBe(5);
    for (const dlq of dlqs) {
      expect(
        alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }),
      ).toHaveLength(1);
    }
  });

  it("alarms on failed jobs, sustained backend throttling, open circuits and unanswerable dead letters, from the platform's own metrics", () => {
    // Act
    const service = { Name: 'service', Value: 'inference-platform' };
    const failedJobs = alarmOn(NAMESPACE, 'JobsFinished', { Name: 'status', Value: 'failed' });
    const throttling = alarmOn(NAMESPACE, 'BackendThrottles', service);
    const circuits = alarmOn(NAMESPACE, 'CircuitOpens', service);
    const unanswerable = alarmOn(NAMESPACE, 'DeadLettersUnanswerable', service);

    // Assess
    expect(failedJobs).toHaveLength(1);
    expect(throttling).toHaveLength(1);
    expect(throttling[0]!.EvaluationPeriods).toBeGreaterThan(1);
    expect(throttling[0]!.DatapointsToAlarm).toBe(throttling[0]!.EvaluationPeriods);
    expect(circuits).toHaveLength(1);
    expect(unanswerable).toHaveLength(1);
  });

  it('subscribes the alarmEmail parameter to the alarm topic, only when it is set', () => {
    // Act
    const subscriptions = ofType('AWS::SNS::Subscription');

    // Assess
    expect(subscriptions).toHaveLength(1);
    const [, subscription] = subscriptions[0]!;
    expect(subscription.Properties).toMatchObject({ TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email' });
    expect(subscription.Condition).toBe('HasAlarmEmail');
    // The parameter is empty by default: the condition is then false.
    expect(conditions.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it('puts no function into a VPC and creates no network or GPU fleet by default (vpc=none, gpuFleet=false)', () => {
    // Assess
    for (const [, fn] of ofType('AWS::Lambda::Function')) expect(fn.Properties.VpcConfig).toBeUndefined();
    expect(Object.values(resources).filter((resource) => resource.Type.startsWith('AWS::EC2::'))).toEqual([]);
    expect(Object.values(resources).filter((resource) => resource.Type.startsWith('AWS::AutoScaling::'))).toEqual([]);
  });

  it('gives each built-in model its own GPU pool and Bedrock fallback parameters, in the Bedrock region of the stack', () => {
    // Prepare
    const environment = lambdaFunction('chatCompletions').Properties.Environment.Variables;

    // Assess
    expect(environment).toMatchObject({
      GPU_POOL_GPT_OSS_20B_URLS: '',
      GPU_POOL_GPT_OSS_120B_URLS: '',
      GPU_POOL_BGE_M3_URLS: '',
      BEDROCK_FALLBACK_GPT_OSS_20B: '',
      BEDROCK_FALLBACK_GPT_OSS_120B: '',
      BEDROCK_REGION: 'us-east-1',
    });
  });
});
