/**
 * The EC2 GPU fleet as part of the stack, one pool per model, when `custom.gpuFleet.enabled`
 * is true (the `gpuFleet` parameter). It needs the VPC the stack creates (`vpc: create`,
 * scripts/osls/gpuNetwork.js): the servers run in its private subnets. Per pool:
 *
 * - a launch template running vLLM's OpenAI-compatible server for the model
 *   (`vllm serve <weights> --served-model-name <model>`), weights copied from the platform
 *   bucket under `models/<model>/` (through the S3 gateway endpoint: no NAT), IMDSv2 only,
 *   an encrypted root volume;
 * - an instance role that may read those weights and write its own log group, nothing else;
 * - an Auto Scaling group (on demand, or Spot for a batch-only pool), behind an internal
 *   Application Load Balancer whose target group checks the server's `/health`; the ASG
 *   replaces an instance the load balancer finds unhealthy, after the start-up grace;
 * - the pool's URL (the load balancer) as the model's `GPU_POOL_<KEY>_URLS`, so the
 *   router sends that model's requests there and nowhere else;
 * - scaling by the platform's own signal: a target-tracking policy on the backlog per
 *   instance aiming at `backlogPerInstanceTarget` of shared/fleet/desiredCapacity.ts, the
 *   same rule the benchmark replays. The pool's backlog is the queued batch lines
 *   (`PoolBacklog`, one scheduled publisher: the minute's Maximum) plus the real-time
 *   requests in flight (`PoolBusySeconds`, added by every request from every container:
 *   the minute's Sum over 60 s), divided by the instances in service (see
 *   shared/observability/poolMetrics.ts). Target tracking cannot start a group from zero
 *   (no instance to divide by), so an alarm on "backlog waiting and nothing desired" sets
 *   it to at least one. With no backlog the policy brings the group down to its minimum:
 *   zero unless a warm minimum for real time is set.
 */
const path = require('node:path');
const { GPU_NETWORK_IDS: NET } = require('./gpuNetwork');

/** The sizing rule's one home is TypeScript; osls runs plain Node, so load it through tsx. */
function sizingRule() {
  const tsx = require('tsx/cjs/api');
  return tsx.require(path.join(__dirname, '..', '..', 'shared', 'fleet', 'desiredCapacity.ts'), __filename);
}

const SERVER_SG = 'GpuServerSecurityGroup';
/** Seconds per datapoint of the scaling signal: target tracking's own period; busy seconds over it are requests in flight. */
const BACKLOG_PERIOD = 60;
const BALANCER_SG = 'GpuBalancerSecurityGroup';

const truthy = (value) => value === true || /^(1|true|yes)$/i.test(String(value ?? ''));
const pascal = (model) =>
  String(model)
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
const modelKey = (model) =>
  String(model)
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_');

/** Reads and checks `custom.gpuFleet`; throws naming what is wrong. */
function readFleet(custom) {
  const fleet = custom.gpuFleet;
  if (!fleet || !truthy(fleet.enabled)) return undefined;
  if (String((custom.gpuNetwork || {}).mode) !== 'create') {
    throw new Error('gpuFleet: the fleet runs in the VPC the stack creates: set the vpc parameter to create');
  }
  if (!fleet.ami) throw new Error('gpuFleet: set the gpuAmiId parameter (an AMI with NVIDIA drivers and vLLM, e.g. a Deep Learning AMI)');
  const pools = (fleet.pools || []).map((pool) => {
    for (const field of ['model', 'instanceType']) if (!pool[field]) throw new Error(`gpuFleet: a pool has no ${field}`);
    const number = (field, fallback) => {
      const value = Number(pool[field] ?? fallback);
      if (!Number.isFinite(value) || value < 0) throw new Error(`gpuFleet: pool ${pool.model}: ${field} must be a number >= 0`);
      return value;
    };
    const settings = {
      model: String(pool.model),
      weights: String(pool.weights || pool.model),
      instanceType: String(pool.instanceType),
      min: number('min', 0),
      max: number('max', 1),
      spot: truthy(pool.spot),
      throughputPerInstance: number('throughputPerInstance', 1),
      startupSeconds: number('startupSeconds', 600),
      drainSeconds: number('drainSeconds', 900),
      vllmArgs: String(pool.vllmArgs || ''),
    };
    if (settings.max < settings.min || settings.max < 1) throw new Error(`gpuFleet: pool ${settings.model}: need 1 <= max and min <= max`);
    if (settings.spot && settings.min > 0) {
      throw new Error(`gpuFleet: pool ${settings.model}: Spot is for batch-only pools (min 0); a real-time minimum needs on-demand`);
    }
    return settings;
  });
  if (pools.length === 0) throw new Error('gpuFleet: no pools');
  return { ami: String(fleet.ami), port: Number(fleet.port || 8000), namespace: fleet.metricsNamespace, service: fleet.service, pools };
}

function sharedResources(fleet) {
  return {
    [BALANCER_SG]: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: 'Internal load balancers of the GPU pools: the GPU port from the functions only.',
        VpcId: { Ref: NET.vpc },
        SecurityGroupIngress: [
          { IpProtocol: 'tcp', FromPort: fleet.port, ToPort: fleet.port, SourceSecurityGroupId: { Ref: NET.functionSecurityGroup } },
        ],
      },
    },
    [SERVER_SG]: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: 'GPU servers: the GPU port from their load balancers; out on HTTPS to the VPC endpoints only.',
        VpcId: { Ref: NET.vpc },
        SecurityGroupIngress: [
          { IpProtocol: 'tcp', FromPort: fleet.port, ToPort: fleet.port, SourceSecurityGroupId: { Ref: BALANCER_SG } },
        ],
        SecurityGroupEgress: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0', Description: 'S3 and Logs through the VPC endpoints' },
        ],
      },
    },
  };
}

/** The start-up script: weights from the bucket, then vLLM as a service that restarts on failure. */
function userData(pool, port, logGroup) {
  const script = [
    '#!/bin/bash',
    'set -euo pipefail',
    `MODEL_DIR=/opt/models/${pool.weights}`,
    'mkdir -p "$MODEL_DIR"',
    `aws s3 sync "s3://\${Bucket}/models/${pool.weights}/" "$MODEL_DIR" --region "\${AWS::Region}" --only-show-errors`,
    'cat > /etc/systemd/system/vllm.service <<UNIT',
    '[Unit]',
    'Description=vLLM OpenAI-compatible server',
    'After=network-online.target',
    '[Service]',
    `ExecStart=/usr/bin/env vllm serve $MODEL_DIR --served-model-name ${pool.model} --host 0.0.0.0 --port ${port} ${pool.vllmArgs}`.trimEnd(),
    'Restart=always',
    'RestartSec=5',
    `Environment=LOG_GROUP=${logGroup}`,
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now vllm.service',
  ].join('\n');
  return { 'Fn::Base64': { 'Fn::Sub': [script, { Bucket: { Ref: 'PlatformBucket' } }] } };
}

function poolResources(fleet, pool, target, stage) {
  const id = `GpuPool${pascal(pool.model)}`;
  const logGroup = `/inference-platform/${stage}/gpu/${pool.model}`;
  const dimensions = [
    { Name: 'service', Value: fleet.service },
    { Name: 'pool', Value: pool.model },
  ];
  const metric = (name) => ({ Namespace: fleet.namespace, MetricName: name, Dimensions: dimensions });
  /** The pool's backlog as metric math, both halves aggregated so that CloudWatch gives the pool's total. */
  const backlogQueries = (period) => [
    { Id: 'queued', MetricStat: { Metric: metric('PoolBacklog'), ...period, Stat: 'Maximum' }, ReturnData: false },
    { Id: 'busy', MetricStat: { Metric: metric('PoolBusySeconds'), ...period, Stat: 'Sum' }, ReturnData: false },
    {
      Id: 'backlog',
      Expression: `FILL(queued, 0) + FILL(busy, 0) / ${BACKLOG_PERIOD}`,
      Label: 'Queued batch lines + real-time requests in flight',
      ReturnData: false,
    },
  ];
  const groupMetric = (name) => ({
    Namespace: 'AWS/AutoScaling',
    MetricName: name,
    Dimensions: [{ Name: 'AutoScalingGroupName', Value: { Ref: `${id}Group` } }],
  });
  const launchTemplate = {
    LaunchTemplateId: { Ref: `${id}LaunchTemplate` },
    Version: { 'Fn::GetAtt': [`${id}LaunchTemplate`, 'LatestVersionNumber'] },
  };
  const resources = {
    [`${id}LogGroup`]: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: logGroup, RetentionInDays: 30 } },
    [`${id}InstanceRole`]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: 'gpu-server',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                // The model's weights only, not the rest of the bucket (jobs, files, outputs).
                { Effect: 'Allow', Action: ['s3:GetObject'], Resource: { 'Fn::Sub': `\${PlatformBucket.Arn}/models/${pool.weights}/*` } },
                {
                  Effect: 'Allow',
                  Action: ['s3:ListBucket'],
                  Resource: { 'Fn::GetAtt': ['PlatformBucket', 'Arn'] },
                  Condition: { StringLike: { 's3:prefix': [`models/${pool.weights}/*`] } },
                },
                {
                  Effect: 'Allow',
                  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                  Resource: { 'Fn::Sub': `\${${id}LogGroup.Arn}` },
                },
              ],
            },
          },
        ],
      },
    },
    [`${id}InstanceProfile`]: { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [{ Ref: `${id}InstanceRole` }] } },
    [`${id}LaunchTemplate`]: {
      Type: 'AWS::EC2::LaunchTemplate',
      Properties: {
        LaunchTemplateData: {
          ImageId: fleet.ami,
          InstanceType: pool.instanceType,
          IamInstanceProfile: { Arn: { 'Fn::GetAtt': [`${id}InstanceProfile`, 'Arn'] } },
          SecurityGroupIds: [{ Ref: SERVER_SG }],
          MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
          BlockDeviceMappings: [
            { DeviceName: '/dev/sda1', Ebs: { VolumeSize: 300, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } },
          ],
          UserData: userData(pool, fleet.port, logGroup),
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'inference-platform:pool', Value: pool.model }] }],
        },
      },
    },
    [`${id}TargetGroup`]: {
      Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
      Properties: {
        VpcId: { Ref: NET.vpc },
        Protocol: 'HTTP',
        Port: fleet.port,
        TargetType: 'instance',
        // vLLM answers GET /health with 200 once the model is loaded and the engine is alive.
        HealthCheckProtocol: 'HTTP',
        HealthCheckPath: '/health',
        HealthCheckIntervalSeconds: 15,
        HealthyThresholdCount: 2,
        UnhealthyThresholdCount: 3,
        // A long streamed answer may still be running on an instance being removed.
        TargetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }],
      },
    },
    [`${id}LoadBalancer`]: {
      Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      Properties: {
        Type: 'application',
        Scheme: 'internal',
        Subnets: NET.subnets.map((subnet) => ({ Ref: subnet })),
        SecurityGroups: [{ Ref: BALANCER_SG }],
        // Streams of up to 15 minutes (the streaming functions' limit).
        LoadBalancerAttributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '900' }],
      },
    },
    [`${id}Listener`]: {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: {
        LoadBalancerArn: { Ref: `${id}LoadBalancer` },
        Protocol: 'HTTP',
        Port: fleet.port,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: `${id}TargetGroup` } }],
      },
    },
    [`${id}Group`]: {
      Type: 'AWS::AutoScaling::AutoScalingGroup',
      Properties: {
        MinSize: String(pool.min),
        MaxSize: String(pool.max),
        VPCZoneIdentifier: NET.subnets.map((subnet) => ({ Ref: subnet })),
        TargetGroupARNs: [{ Ref: `${id}TargetGroup` }],
        HealthCheckType: 'ELB',
        HealthCheckGracePeriod: pool.startupSeconds,
        DefaultInstanceWarmup: pool.startupSeconds,
        // The scaling signals read the group's own size.
        MetricsCollection: [{ Granularity: '1Minute', Metrics: ['GroupInServiceInstances', 'GroupDesiredCapacity'] }],
        ...(pool.spot
          ? {
              MixedInstancesPolicy: {
                InstancesDistribution: {
                  OnDemandBaseCapacity: 0,
                  OnDemandPercentageAboveBaseCapacity: 0,
                  SpotAllocationStrategy: 'capacity-optimized',
                },
                LaunchTemplate: { LaunchTemplateSpecification: launchTemplate },
              },
              CapacityRebalance: true,
            }
          : { LaunchTemplate: launchTemplate }),
        Tags: [{ Key: 'inference-platform:pool', Value: pool.model, PropagateAtLaunch: true }],
      },
    },
    [`${id}BacklogTracking`]: {
      Type: 'AWS::AutoScaling::ScalingPolicy',
      Properties: {
        AutoScalingGroupName: { Ref: `${id}Group` },
        PolicyType: 'TargetTrackingScaling',
        EstimatedInstanceWarmup: pool.startupSeconds,
        TargetTrackingConfiguration: {
          TargetValue: target,
          CustomizedMetricSpecification: {
            // Target tracking reads its metrics per minute (BACKLOG_PERIOD).
            Metrics: [
              ...backlogQueries({}),
              { Id: 'instances', MetricStat: { Metric: groupMetric('GroupInServiceInstances'), Stat: 'Average' }, ReturnData: false },
              {
                Id: 'perInstance',
                Expression: 'backlog / IF(instances > 0, instances, 1)',
                Label: 'Backlog per instance',
                ReturnData: true,
              },
            ],
          },
        },
      },
    },
    [`${id}StartFromZero`]: {
      Type: 'AWS::AutoScaling::ScalingPolicy',
      Properties: {
        AutoScalingGroupName: { Ref: `${id}Group` },
        PolicyType: 'StepScaling',
        AdjustmentType: 'ExactCapacity',
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: Math.max(1, pool.min) }],
      },
    },
    [`${id}WorkWaitingAlarm`]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: `Work waits for ${pool.model} (batch lines or real-time requests) and its GPU pool is at zero: start it.`,
        Metrics: [
          ...backlogQueries({ Period: BACKLOG_PERIOD }),
          {
            Id: 'desired',
            MetricStat: { Metric: groupMetric('GroupDesiredCapacity'), Period: BACKLOG_PERIOD, Stat: 'Maximum' },
            ReturnData: false,
          },
          { Id: 'waiting', Expression: 'IF(backlog > 0 AND FILL(desired, 0) == 0, 1, 0)', ReturnData: true },
        ],
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: `${id}StartFromZero` }],
      },
    },
  };
  const url = { 'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [`${id}LoadBalancer`, 'DNSName'] }, `:${fleet.port}`]] };
  return { resources, url };
}

class GpuFleet {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:compileFunctions': () => this.apply() };
  }

  apply() {
    const service = this.serverless.service;
    const fleet = readFleet(service.custom || {});
    if (!fleet) return;
    const { backlogPerInstanceTarget } = sizingRule();
    const stage = this.serverless.getProvider('aws').getStage();
    const template = service.provider.compiledCloudFormationTemplate.Resources;
    Object.assign(template, sharedResources(fleet));
    for (const pool of fleet.pools) {
      const { resources, url } = poolResources(fleet, pool, backlogPerInstanceTarget(pool), stage);
      Object.assign(template, resources);
      // The pool's load balancer is the model's pool: its requests go there, and only there.
      service.provider.environment[`GPU_POOL_${modelKey(pool.model)}_URLS`] = url;
      // How long batch lines may wait for the pool to start rather than go to Bedrock (shared/fleet/batchOverflow.ts).
      service.provider.environment[`GPU_POOL_${modelKey(pool.model)}_STARTUP_SECONDS`] = String(pool.startupSeconds);
    }
  }
}

module.exports = GpuFleet;
