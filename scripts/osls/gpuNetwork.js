/**
 * Puts the functions that call GPU servers, and only those, into a VPC, so they reach the
 * servers' private addresses. `custom.gpuNetwork`:
 *
 *   mode: none | given | create
 *   subnetIds, securityGroupIds: comma-separated ids (mode `given`)
 *   cidr: the VPC's address range (mode `create`), e.g. 10.20.0.0/16
 *   gpuPort: the port the GPU servers listen on (the functions' security group may reach it)
 *   functions: the function names that call GPU servers
 *
 * - `none`: nothing changes; every function stays out of any VPC.
 * - `given`: those functions get the given subnets and security groups. The subnets need a
 *   way to AWS (a NAT gateway or the endpoints below) and to the GPU servers.
 * - `create`: the stack creates a VPC with two private subnets (no internet gateway, no
 *   NAT), a security group for the functions, and the endpoints they need so that no NAT
 *   is: S3 and DynamoDB gateway endpoints, and interface endpoints (private DNS) for SQS,
 *   Bedrock Runtime, the Bedrock control plane, EventBridge and CloudWatch Logs. The GPU
 *   fleet (scripts/osls/gpuFleet.js), when on, runs in the same subnets.
 *
 * Plain YAML cannot say "these functions, only when a parameter says so, with resources
 * that exist only then", hence a plugin. It sets each function's `vpc` before osls compiles
 * the functions, so osls writes the VpcConfig and serverless-iam-roles-per-function gives
 * those roles (and only those) the VPC access policy.
 */
const MODES = ['none', 'given', 'create'];

/** The interface endpoints a function in the created VPC needs (service name suffixes). */
const INTERFACE_ENDPOINTS = {
  SqsEndpoint: 'sqs',
  BedrockRuntimeEndpoint: 'bedrock-runtime',
  BedrockEndpoint: 'bedrock',
  EventBridgeEndpoint: 'events',
  LogsEndpoint: 'logs',
};
const GATEWAY_ENDPOINTS = { S3GatewayEndpoint: 's3', DynamoDbGatewayEndpoint: 'dynamodb' };

/** Logical ids other plugins and `resources` may refer to when the stack owns the network. */
const IDS = {
  vpc: 'GpuVpc',
  subnets: ['GpuPrivateSubnetA', 'GpuPrivateSubnetB'],
  routeTable: 'GpuPrivateRouteTable',
  functionSecurityGroup: 'GpuClientSecurityGroup',
  endpointSecurityGroup: 'GpuEndpointSecurityGroup',
};

function list(value) {
  return String(value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Reads and checks `custom.gpuNetwork`; throws naming what is wrong. */
function readSettings(custom, functionNames) {
  const settings = custom.gpuNetwork;
  if (!settings) return { mode: 'none', functions: [] };
  const mode = String(settings.mode || 'none');
  if (!MODES.includes(mode)) throw new Error(`gpuNetwork: mode must be one of ${MODES.join(', ')}, not '${mode}' (the vpc parameter)`);
  const functions = settings.functions || [];
  for (const name of functions) {
    if (!functionNames.includes(name)) throw new Error(`gpuNetwork: no function '${name}' in serverless.yml`);
  }
  const subnetIds = list(settings.subnetIds);
  const securityGroupIds = list(settings.securityGroupIds);
  if (mode === 'given' && (subnetIds.length === 0 || securityGroupIds.length === 0)) {
    throw new Error('gpuNetwork: vpc=given needs the vpcSubnetIds and vpcSecurityGroupIds parameters (comma-separated ids)');
  }
  if (mode !== 'given' && (subnetIds.length > 0 || securityGroupIds.length > 0)) {
    throw new Error(`gpuNetwork: vpcSubnetIds and vpcSecurityGroupIds are for vpc=given, not vpc=${mode}`);
  }
  return {
    mode,
    functions,
    subnetIds,
    securityGroupIds,
    cidr: String(settings.cidr || '10.20.0.0/16'),
    gpuPort: Number(settings.gpuPort || 8000),
  };
}

/** The VPC, subnets, routes, security groups and endpoints of `mode: create`. */
function networkResources(settings) {
  const tags = (name) => [{ Key: 'Name', Value: { 'Fn::Sub': `\${AWS::StackName}-${name}` } }];
  const resources = {
    [IDS.vpc]: {
      Type: 'AWS::EC2::VPC',
      // Private DNS of the interface endpoints needs both DNS settings on.
      Properties: { CidrBlock: settings.cidr, EnableDnsSupport: true, EnableDnsHostnames: true, Tags: tags('gpu') },
    },
    [IDS.routeTable]: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: IDS.vpc }, Tags: tags('gpu-private') } },
    [IDS.functionSecurityGroup]: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: 'Functions that call the GPU servers: HTTPS to the AWS endpoints, the GPU port inside the VPC.',
        VpcId: { Ref: IDS.vpc },
        SecurityGroupEgress: [
          // HTTPS anywhere: the gateway endpoints' prefix lists and the interface endpoints (no route leaves the VPC otherwise).
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0', Description: 'AWS APIs through the VPC endpoints' },
          {
            IpProtocol: 'tcp',
            FromPort: settings.gpuPort,
            ToPort: settings.gpuPort,
            CidrIp: { 'Fn::GetAtt': [IDS.vpc, 'CidrBlock'] },
            Description: 'The GPU servers (OpenAI-compatible API)',
          },
        ],
        Tags: tags('gpu-clients'),
      },
    },
    [IDS.endpointSecurityGroup]: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: 'Interface endpoints: HTTPS from inside the VPC.',
        VpcId: { Ref: IDS.vpc },
        SecurityGroupIngress: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            CidrIp: { 'Fn::GetAtt': [IDS.vpc, 'CidrBlock'] },
            Description: 'HTTPS from the VPC',
          },
        ],
        Tags: tags('gpu-endpoints'),
      },
    },
  };
  IDS.subnets.forEach((id, index) => {
    resources[id] = {
      Type: 'AWS::EC2::Subnet',
      Properties: {
        VpcId: { Ref: IDS.vpc },
        // Two /20s of the VPC's range, in the region's first two zones.
        CidrBlock: { 'Fn::Select': [index, { 'Fn::Cidr': [{ 'Fn::GetAtt': [IDS.vpc, 'CidrBlock'] }, 4, 12] }] },
        AvailabilityZone: { 'Fn::Select': [index, { 'Fn::GetAZs': '' }] },
        MapPublicIpOnLaunch: false,
        Tags: tags(`gpu-private-${'ab'[index]}`),
      },
    };
    resources[`${id}RouteTableAssociation`] = {
      Type: 'AWS::EC2::SubnetRouteTableAssociation',
      Properties: { SubnetId: { Ref: id }, RouteTableId: { Ref: IDS.routeTable } },
    };
  });
  for (const [id, service] of Object.entries(GATEWAY_ENDPOINTS)) {
    resources[id] = {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcId: { Ref: IDS.vpc },
        VpcEndpointType: 'Gateway',
        ServiceName: { 'Fn::Sub': `com.amazonaws.\${AWS::Region}.${service}` },
        RouteTableIds: [{ Ref: IDS.routeTable }],
      },
    };
  }
  for (const [id, service] of Object.entries(INTERFACE_ENDPOINTS)) {
    resources[id] = {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcId: { Ref: IDS.vpc },
        VpcEndpointType: 'Interface',
        ServiceName: { 'Fn::Sub': `com.amazonaws.\${AWS::Region}.${service}` },
        PrivateDnsEnabled: true,
        SubnetIds: IDS.subnets.map((subnet) => ({ Ref: subnet })),
        SecurityGroupIds: [{ Ref: IDS.endpointSecurityGroup }],
      },
    };
  }
  return resources;
}

class GpuNetwork {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:compileFunctions': () => this.apply() };
  }

  apply() {
    const service = this.serverless.service;
    const settings = readSettings(service.custom || {}, service.getAllFunctions());
    if (settings.mode === 'none') return;
    const vpc =
      settings.mode === 'given'
        ? { subnetIds: settings.subnetIds, securityGroupIds: settings.securityGroupIds }
        : { subnetIds: IDS.subnets.map((id) => ({ Ref: id })), securityGroupIds: [{ Ref: IDS.functionSecurityGroup }] };
    for (const name of settings.functions) service.getFunction(name).vpc = vpc;
    if (settings.mode === 'create') Object.assign(service.provider.compiledCloudFormationTemplate.Resources, networkResources(settings));
  }
}

module.exports = GpuNetwork;
module.exports.GPU_NETWORK_IDS = IDS;
module.exports.readSettings = readSettings;
