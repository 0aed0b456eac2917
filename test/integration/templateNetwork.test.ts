import {
  PACKAGE_TIMEOUT_MS,
  PACKAGE_WAIT_MS,
  packageTemplate,
  type PackagedTemplate,
  type TemplateResource,
} from '../helpers/packageTemplate';

/**
 * The network of the functions that call GPU servers, over `npx osls package`: a VPC the
 * stack creates (with the endpoints that spare a NAT gateway), and subnets and security
 * groups given as parameters. The shape without any VPC is checked by template.test.ts.
 */

const STAGE = 'net';
const IN_VPC = ['chatCompletions', 'responses', 'embeddings', 'worker', 'requests', 'status', 'batchInference'];
const OUT_OF_VPC = [
  'authorizer',
  'models',
  'health',
  'console',
  'files',
  'batches',
  'ingest',
  'finalize',
  'asyncRequests',
  'expireJobs',
  'poolBacklog',
];

let created: PackagedTemplate;
let given: PackagedTemplate;

beforeAll(async () => {
  created = await packageTemplate(STAGE, { vpc: 'create', vpcCidr: '10.42.0.0/16', bedrockRegion: 'us-west-2' });
  given = await packageTemplate(STAGE, { vpc: 'given', vpcSubnetIds: 'subnet-aaa,subnet-bbb', vpcSecurityGroupIds: 'sg-123' });
}, PACKAGE_WAIT_MS + PACKAGE_TIMEOUT_MS);

const ofType = (template: PackagedTemplate, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

function lambdaFunction(template: PackagedTemplate, name: string): TemplateResource {
  const found = ofType(template, 'AWS::Lambda::Function').find(
    ([, fn]) => fn.Properties.FunctionName === `inference-platform-${STAGE}-${name}`,
  );
  if (!found) throw new Error(`No Lambda function ${name} in the template`);
  return found[1];
}

/** The execution role of a function (serverless-iam-roles-per-function gives each its own). */
function roleOf(template: PackagedTemplate, name: string): TemplateResource {
  const ref = lambdaFunction(template, name).Properties.Role['Fn::GetAtt'][0] as string;
  return template.Resources[ref]!;
}

const serviceOf = (endpoint: TemplateResource) =>
  String(endpoint.Properties.ServiceName['Fn::Sub']).replace('com.amazonaws.${AWS::Region}.', '');

describe('the stack creates the VPC (vpc=create)', () => {
  it('puts only the functions that call GPU servers into its private subnets, with their security group', () => {
    // Assess
    for (const name of IN_VPC) {
      expect(lambdaFunction(created, name).Properties.VpcConfig).toEqual({
        SubnetIds: [{ Ref: 'GpuPrivateSubnetA' }, { Ref: 'GpuPrivateSubnetB' }],
        SecurityGroupIds: [{ Ref: 'GpuClientSecurityGroup' }],
      });
      expect(JSON.stringify(roleOf(created, name).Properties.ManagedPolicyArns)).toContain('AWSLambdaVPCAccessExecutionRole');
    }
    for (const name of OUT_OF_VPC) {
      expect(lambdaFunction(created, name).Properties.VpcConfig).toBeUndefined();
      expect(roleOf(created, name).Properties.ManagedPolicyArns ?? []).toEqual([]);
    }
  });

  it('creates private subnets only: no internet gateway, no NAT gateway, no public IPs', () => {
    // Prepare
    const [, vpc] = ofType(created, 'AWS::EC2::VPC')[0]!;
    const subnets = ofType(created, 'AWS::EC2::Subnet');

    // Assess
    expect(vpc.Properties).toMatchObject({ CidrBlock: '10.42.0.0/16', EnableDnsSupport: true, EnableDnsHostnames: true });
    expect(subnets).toHaveLength(2);
    for (const [, subnet] of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    expect(ofType(created, 'AWS::EC2::InternetGateway')).toEqual([]);
    expect(ofType(created, 'AWS::EC2::NatGateway')).toEqual([]);
    expect(ofType(created, 'AWS::EC2::Route')).toEqual([]);
  });

  it('adds the endpoints the functions need: S3 and DynamoDB gateways; SQS, Bedrock Runtime, Bedrock, EventBridge and Logs interfaces', () => {
    // Prepare
    const endpoints = ofType(created, 'AWS::EC2::VPCEndpoint').map(([, endpoint]) => endpoint);
    const gateways = endpoints.filter((endpoint) => endpoint.Properties.VpcEndpointType === 'Gateway');
    const interfaces = endpoints.filter((endpoint) => endpoint.Properties.VpcEndpointType === 'Interface');

    // Assess
    expect(gateways.map(serviceOf).sort()).toEqual(['dynamodb', 's3']);
    for (const gateway of gateways) expect(gateway.Properties.RouteTableIds).toEqual([{ Ref: 'GpuPrivateRouteTable' }]);
    expect(interfaces.map(serviceOf).sort()).toEqual(['bedrock', 'bedrock-runtime', 'events', 'logs', 'sqs']);
    for (const endpoint of interfaces) {
      expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
      expect(endpoint.Properties.SubnetIds).toEqual([{ Ref: 'GpuPrivateSubnetA' }, { Ref: 'GpuPrivateSubnetB' }]);
      expect(endpoint.Properties.SecurityGroupIds).toEqual([{ Ref: 'GpuEndpointSecurityGroup' }]);
    }
  });

  it('lets the functions out on HTTPS and the GPU port only, and the endpoints in on HTTPS from the VPC only', () => {
    // Prepare
    const clients = created.Resources.GpuClientSecurityGroup!.Properties;
    const endpoints = created.Resources.GpuEndpointSecurityGroup!.Properties;

    // Assess
    expect(clients.SecurityGroupEgress.map((rule: { FromPort: number; ToPort: number }) => [rule.FromPort, rule.ToPort])).toEqual([
      [443, 443],
      [8000, 8000],
    ]);
    expect(endpoints.SecurityGroupIngress).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: { 'Fn::GetAtt': ['GpuVpc', 'CidrBlock'] } }),
    ]);
  });

  it('calls Bedrock in the bedrockRegion parameter, and grants Bedrock there only', () => {
    // Prepare
    const environment = lambdaFunction(created, 'chatCompletions').Properties.Environment.Variables;
    const bedrockStatements = ['chatCompletions', 'responses', 'embeddings', 'worker', 'requests'].flatMap((name) =>
      (
        roleOf(created, name).Properties.Policies as Array<{
          PolicyDocument: { Statement: Array<{ Action: string[] | string; Resource: unknown }> };
        }>
      )
        .flatMap((policy) => policy.PolicyDocument.Statement)
        .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('bedrock:'))),
    );

    // Assess
    expect(environment.BEDROCK_REGION).toBe('us-west-2');
    // One each, and the worker's second: CreateModelInvocationJob for Bedrock batch chunks.
    expect(bedrockStatements).toHaveLength(6);
    for (const statement of bedrockStatements) {
      const text = JSON.stringify(statement.Resource);
      expect(text).toContain(':bedrock:us-west-2::foundation-model/*');
      expect(text).toContain(':bedrock:us-west-2:');
      expect(text).not.toContain('AWS::Region');
    }
  });
});

describe('subnets and security groups given as parameters (vpc=given)', () => {
  it('puts only the functions that call GPU servers into them, and creates no network of its own', () => {
    // Assess
    for (const name of IN_VPC) {
      expect(lambdaFunction(given, name).Properties.VpcConfig).toEqual({
        SubnetIds: ['subnet-aaa', 'subnet-bbb'],
        SecurityGroupIds: ['sg-123'],
      });
    }
    for (const name of OUT_OF_VPC) expect(lambdaFunction(given, name).Properties.VpcConfig).toBeUndefined();
    expect(ofType(given, 'AWS::EC2::VPC')).toEqual([]);
    expect(ofType(given, 'AWS::EC2::VPCEndpoint')).toEqual([]);
    expect(ofType(given, 'AWS::EC2::SecurityGroup')).toEqual([]);
  });
});
