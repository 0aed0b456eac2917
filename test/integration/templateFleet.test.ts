import { backlogPerInstanceTarget } from '../../shared/fleet/desiredCapacity';
import { PACKAGE_WAIT_MS, packageTemplate, type PackagedTemplate, type TemplateResource } from '../helpers/packageTemplate';

/**
 * The EC2 GPU fleet over `npx osls package` (gpuFleet=true, in the VPC the stack
 * creates): a pool per model, health checks on the server's /health, least-privilege
 * instance roles, Spot for a batch-only pool, and scaling wired to the backlog the
 * platform publishes. Without the fleet there is none of it (template.test.ts).
 */

const STAGE = 'fleet';
const AMI = 'ami-0123456789abcdef0';
const POOLS = [
  {
    model: 'gpt-oss-20b',
    id: 'GpuPoolGptOss20b',
    key: 'GPT_OSS_20B',
    instanceType: 'g6e.xlarge',
    min: 1,
    max: 4,
    spot: false,
    throughput: 8,
  },
  {
    model: 'gpt-oss-120b',
    id: 'GpuPoolGptOss120b',
    key: 'GPT_OSS_120B',
    instanceType: 'p6e-gb200.36xlarge',
    min: 0,
    max: 2,
    spot: true,
    throughput: 20,
  },
];

let template: PackagedTemplate;

beforeAll(async () => {
  template = await packageTemplate(STAGE, {
    vpc: 'create',
    gpuFleet: 'true',
    gpuAmiId: AMI,
    gptOss20bMin: '1',
    gptOss120bInstanceType: 'p6e-gb200.36xlarge',
    gptOss120bSpot: 'true',
  });
}, PACKAGE_WAIT_MS);

const resource = (id: string): TemplateResource => {
  const found = template.Resources[id];
  if (!found) throw new Error(`No resource ${id} in the template`);
  return found;
};
const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

function lambdaFunction(name: string): TemplateResource {
  const found = ofType('AWS::Lambda::Function').find(([, fn]) => fn.Properties.FunctionName === `inference-platform-${STAGE}-${name}`);
  if (!found) throw new Error(`No Lambda function ${name}`);
  return found[1];
}

describe('the GPU fleet (gpuFleet=true)', () => {
  it.each(POOLS)('runs $model in its own Auto Scaling group, launch template and internal load balancer', (pool) => {
    // Prepare
    const group = resource(`${pool.id}Group`).Properties;
    const launch = resource(`${pool.id}LaunchTemplate`).Properties.LaunchTemplateData;
    const userData = JSON.stringify(launch.UserData);
    const balancer = resource(`${pool.id}LoadBalancer`).Properties;

    // Assess
    expect(group).toMatchObject({
      MinSize: String(pool.min),
      MaxSize: String(pool.max),
      HealthCheckType: 'ELB',
      TargetGroupARNs: [{ Ref: `${pool.id}TargetGroup` }],
    });
    expect(group.VPCZoneIdentifier).toEqual([{ Ref: 'GpuPrivateSubnetA' }, { Ref: 'GpuPrivateSubnetB' }]);
    expect(launch).toMatchObject({ ImageId: AMI, InstanceType: pool.instanceType, MetadataOptions: { HttpTokens: 'required' } });
    expect(launch.BlockDeviceMappings[0].Ebs.Encrypted).toBe(true);
    expect(userData).toContain('vllm serve');
    expect(userData).toContain(`--served-model-name ${pool.model}`);
    expect(balancer).toMatchObject({ Type: 'application', Scheme: 'internal' });
  });

  it.each(POOLS)("checks $model's servers on their health route, and routes the model's requests to that pool only", (pool) => {
    // Prepare
    const targets = resource(`${pool.id}TargetGroup`).Properties;
    const environment = lambdaFunction('chatCompletions').Properties.Environment.Variables;

    // Assess
    expect(targets).toMatchObject({ HealthCheckPath: '/health', Port: 8000, Protocol: 'HTTP' });
    expect(environment[`GPU_POOL_${pool.key}_URLS`]).toEqual({
      'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [`${pool.id}LoadBalancer`, 'DNSName'] }, ':8000']],
    });
    // How long the worker's batch lines may wait for the pool to start (the pool's startupSeconds).
    expect(lambdaFunction('worker').Properties.Environment.Variables[`GPU_POOL_${pool.key}_STARTUP_SECONDS`]).toBe('600');
  });

  it('uses Spot for the batch-only pool and on-demand for the pool with a real-time minimum', () => {
    // Prepare
    const batchOnly = resource('GpuPoolGptOss120bGroup').Properties;
    const realTime = resource('GpuPoolGptOss20bGroup').Properties;

    // Assess
    expect(batchOnly.MixedInstancesPolicy.InstancesDistribution).toMatchObject({
      OnDemandBaseCapacity: 0,
      OnDemandPercentageAboveBaseCapacity: 0,
    });
    expect(batchOnly.LaunchTemplate).toBeUndefined();
    expect(realTime.MixedInstancesPolicy).toBeUndefined();
    expect(realTime.LaunchTemplate.LaunchTemplateId).toEqual({ Ref: 'GpuPoolGptOss20bLaunchTemplate' });
  });

  it.each(POOLS)(
    "sizes $model by its backlog per instance (queued batch lines + real-time requests in flight), aiming at the sizing rule's target",
    (pool) => {
      // Prepare
      const tracking = resource(`${pool.id}BacklogTracking`).Properties;
      const metrics = tracking.TargetTrackingConfiguration.CustomizedMetricSpecification.Metrics as MetricQuery[];
      const alarm = resource(`${pool.id}WorkWaitingAlarm`).Properties;
      const dimensions = [
        { Name: 'service', Value: 'inference-platform' },
        { Name: 'pool', Value: pool.model },
      ];

      // Assess: one scheduled publisher for the queued lines (Maximum), every request adding its seconds (Sum)
      expect(tracking).toMatchObject({ PolicyType: 'TargetTrackingScaling', AutoScalingGroupName: { Ref: `${pool.id}Group` } });
      expect(query(metrics, 'queued').MetricStat).toEqual({
        Metric: { Namespace: `InferencePlatform/${STAGE}`, MetricName: 'PoolBacklog', Dimensions: dimensions },
        Stat: 'Maximum',
      });
      expect(query(metrics, 'busy').MetricStat).toEqual({
        Metric: { Namespace: `InferencePlatform/${STAGE}`, MetricName: 'PoolBusySeconds', Dimensions: dimensions },
        Stat: 'Sum',
      });
      expect(metrics.filter((metric) => metric.ReturnData)).toHaveLength(1);
      expect(tracking.TargetTrackingConfiguration.TargetValue).toBe(
        backlogPerInstanceTarget({ throughputPerInstance: pool.throughput, startupSeconds: 600, drainSeconds: 900 }),
      );
      // From zero: target tracking has no instance to divide by, so an alarm starts the group.
      expect(alarm.AlarmActions).toEqual([{ Ref: `${pool.id}StartFromZero` }]);
      expect(resource(`${pool.id}StartFromZero`).Properties).toMatchObject({
        AdjustmentType: 'ExactCapacity',
        StepAdjustments: [{ ScalingAdjustment: Math.max(1, pool.min) }],
      });
    },
  );

  it('reads the backlog per instance as the sum of the batch lines of every job and the requests in flight of every container', () => {
    // Prepare: 400 queued lines (two jobs, one total from the scheduled publisher), and three
    // containers whose requests added 60, 30 and 30 busy seconds in the minute (2 in flight on average)
    const metrics = resource('GpuPoolGptOss20bBacklogTracking').Properties.TargetTrackingConfiguration.CustomizedMetricSpecification
      .Metrics as MetricQuery[];
    const minute = { queued: 400, busy: 60 + 30 + 30 };

    // Act
    const perInstance = evaluate(metrics, { ...minute, instances: 2 });
    const fromZero = evaluate(metrics, { ...minute, instances: 0 });
    const idle = evaluate(metrics, { instances: 3 });

    // Assess
    expect(perInstance).toBe(201);
    expect(fromZero).toBe(402);
    expect(idle).toBe(0);
  });

  it('starts a pool at zero when real-time requests alone wait for it, and not when nothing does', () => {
    // Prepare
    const metrics = resource('GpuPoolGptOss120bWorkWaitingAlarm').Properties.Metrics as MetricQuery[];

    // Act & Assess
    expect(evaluate(metrics, { busy: 30, desired: 0 })).toBe(1);
    expect(evaluate(metrics, { queued: 10, desired: 0 })).toBe(1);
    expect(evaluate(metrics, { queued: 10, busy: 30, desired: 1 })).toBe(0);
    expect(evaluate(metrics, { desired: 0 })).toBe(0);
  });

  it.each(POOLS)("gives $model's instances a role that reads its weights and writes its logs, nothing more", (pool) => {
    // Prepare
    const role = resource(`${pool.id}InstanceRole`).Properties;
    const statements = role.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement) as Array<{
      Action: string[];
      Resource: unknown;
    }>;

    // Assess
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(statements.flatMap((statement) => statement.Action).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
    ]);
    for (const statement of statements) {
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
      expect(statement.Action.every((action) => !action.includes('*'))).toBe(true);
    }
    expect(JSON.stringify(statements[0]!.Resource)).toContain(`/models/${pool.model}/*`);
  });

  it('lets only the functions reach the load balancers, and only the load balancers reach the servers', () => {
    // Prepare
    const balancers = resource('GpuBalancerSecurityGroup').Properties;
    const servers = resource('GpuServerSecurityGroup').Properties;

    // Assess
    expect(balancers.SecurityGroupIngress).toEqual([
      expect.objectContaining({ FromPort: 8000, ToPort: 8000, SourceSecurityGroupId: { Ref: 'GpuClientSecurityGroup' } }),
    ]);
    expect(servers.SecurityGroupIngress).toEqual([
      expect.objectContaining({ FromPort: 8000, ToPort: 8000, SourceSecurityGroupId: { Ref: 'GpuBalancerSecurityGroup' } }),
    ]);
  });
});

/** One query of a CloudWatch metric-math list, as the template has it. */
interface MetricQuery {
  Id: string;
  Expression?: string;
  MetricStat?: Record<string, unknown>;
  ReturnData: boolean;
}

function query(metrics: MetricQuery[], id: string): MetricQuery {
  const found = metrics.find((metric) => metric.Id === id);
  if (!found) throw new Error(`no metric query ${id}`);
  return found;
}

/**
 * The value of the returned expression for one period, given each metric's aggregated
 * value (missing: no datapoint). Knows the functions the template uses: FILL and IF.
 */
function evaluate(metrics: MetricQuery[], values: Record<string, number>): number {
  const expressions = new Map(metrics.filter((metric) => metric.Expression).map((metric) => [metric.Id, metric.Expression!]));
  const queryValue = (id: string): number | undefined => {
    const expression = expressions.get(id);
    if (expression === undefined) return values[id];
    const js = expression
      .replace(/\bFILL\(/g, 'fill(')
      .replace(/\bIF\(/g, 'when(')
      .replace(/\bAND\b/g, '&&')
      .replace(/\b([a-z][A-Za-z0-9]*)\b(?!\()/g, (name) => `v('${name}')`);
    const fill = (value: number | undefined, fallback: number) => value ?? fallback;
    const when = (condition: boolean, then: number, otherwise: number) => (condition ? then : otherwise);
    return new Function('fill', 'when', 'v', `return ${js};`)(fill, when, queryValue) as number;
  };
  return Number(queryValue(metrics.find((metric) => metric.ReturnData)!.Id));
}
