import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadServerlessConfig } from '../../shared/local/serverlessConfig';

/**
 * Packages the service with osls (offline, dummy credentials) and checks the
 * CloudFormation template it would deploy. Resources are found by type and properties,
 * never by count, so resources added later do not break these checks.
 */
type Resource = { Type: string; Properties: Record<string, any>; [key: string]: unknown };

const ROOT = join(__dirname, '..', '..');
const STAGE = 'test';
const FUNCTIONS = ['authorizer', 'chatCompletions', 'embeddings', 'models', 'health'];

let resources: Record<string, Resource>;
let packageDir: string;

beforeAll(async () => {
  packageDir = mkdtempSync(join(tmpdir(), 'osls-package-'));
  try {
    await promisify(execFile)('npx', ['osls', 'package', '--stage', STAGE, '--package', packageDir], {
      cwd: ROOT,
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`osls package failed: ${(error as Error).message}\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
  const template = JSON.parse(readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
}, 120_000);

afterAll(() => {
  if (packageDir) rmSync(packageDir, { recursive: true, force: true });
});

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

  it('has a route for every httpApi event, behind the apiKey authorizer on all but /health', () => {
    // Prepare
    const config = loadServerlessConfig({ rootDir: ROOT, stage: STAGE });
    const events = config.functions.flatMap((fn) => fn.events.flatMap((event) => (event.type === 'httpApi' ? [event] : [])));
    const routes = new Map(ofType('AWS::ApiGatewayV2::Route').map(([, route]) => [route.Properties.RouteKey as string, route.Properties]));
    const [authorizerId] = ofType('AWS::ApiGatewayV2::Authorizer').find(([, authorizer]) => authorizer.Properties.Name === 'apiKey') ?? [];

    // Assess
    expect(events.length).toBeGreaterThanOrEqual(5);
    for (const event of events) {
      const route = routes.get(`${event.method} ${event.path}`);
      expect(route).toBeDefined();
      if (event.path === '/health') {
        expect(route?.AuthorizerId).toBeUndefined();
      } else {
        expect(route).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      }
    }
  });

  it('defines the apiKey authorizer as a simple-response REQUEST authorizer, payload 2.0, no identity source', () => {
    // Act
    const [, authorizer] = ofType('AWS::ApiGatewayV2::Authorizer').find(([, candidate]) => candidate.Properties.Name === 'apiKey') ?? [];

    // Assess
    expect(authorizer?.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      IdentitySource: [],
    });
  });

  it('defines the table with pk/sk, gsi1, on demand, with PITR and SSE', () => {
    // Act
    const [, table] = ofType('AWS::DynamoDB::Table').find(([, candidate]) => candidate.Properties.TableName === `inference-platform-${STAGE}`) ?? [];

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
      statementsOf(lambdaFunction(name).Properties.Role['Fn::GetAtt'][0]).some((statement) => actionsOf(statement).includes('bedrock:InvokeModel'));

    // Assess
    expect(canInvoke('chatCompletions')).toBe(true);
    expect(canInvoke('embeddings')).toBe(true);
    expect(canInvoke('authorizer')).toBe(false);
  });
});
