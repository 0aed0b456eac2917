import { ServerlessConfigError } from '../../../../shared/devTools/localPlatform/errors';
import {
  namedResourcesFrom,
  queueForArn,
  resolveEnvironment,
  resolveIntrinsic,
  type LocalResources,
} from '../../../../shared/devTools/localPlatform/localResources';
import { parseServerlessConfig } from '../../../../shared/devTools/localPlatform/serverlessConfig';
import { serviceConfig } from './standIns';

const config = serviceConfig();

/** The resources of serverless.yml, with queues as createQueues would add them. */
function localResources(): LocalResources {
  const local = namedResourcesFrom(config.resources, 'us-east-1');
  for (const [logicalId, suffix] of [
    ['IngestQueue', 'ingest'],
    ['WorkQueue', 'work'],
    ['FinalizeQueue', 'finalize'],
    ['RequestsQueue', 'requests'],
    ['ResultsQueue', 'results'],
  ] as const) {
    const name = `inference-platform-local-${suffix}`;
    local.queues[logicalId] = {
      logicalId,
      name,
      url: `http://127.0.0.1:9324/000000000000/${name}`,
      arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
      visibilityTimeoutSeconds: 30,
    };
  }
  return local;
}

describe('CloudFormation intrinsics in environment values', () => {
  const local = localResources();

  it('keeps intrinsic functions of serverless.yml for the platform to resolve', () => {
    // Assess
    expect(config.provider.environment.WORK_QUEUE_URL).toEqual({ Ref: 'WorkQueue' });
    expect(config.functions.find((fn) => fn.name === 'batches')?.environment.INGEST_QUEUE_URL).toEqual({ Ref: 'IngestQueue' });
  });

  it('resolves the environment of serverless.yml to local URLs and names', () => {
    // Act
    const environment = resolveEnvironment(config.provider.environment, local, 'provider.environment');

    // Assess
    expect(environment).toMatchObject({
      WORK_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/inference-platform-local-work',
      FINALIZE_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/inference-platform-local-finalize',
      BUCKET_NAME: 'inference-platform-local',
      EVENT_BUS_NAME: 'inference-platform-local',
      TABLE_NAME: 'inference-platform-local',
    });
  });

  it.each([
    [{ Ref: 'WorkQueue' }, 'http://127.0.0.1:9324/000000000000/inference-platform-local-work'],
    [{ Ref: 'PlatformBucket' }, 'inference-platform-local'],
    [{ Ref: 'EventBus' }, 'inference-platform-local'],
    [{ Ref: 'PlatformTable' }, 'inference-platform-local'],
    [{ Ref: 'AWS::Region' }, 'us-east-1'],
    [{ Ref: 'AWS::AccountId' }, '000000000000'],
    [{ 'Fn::GetAtt': ['WorkQueue', 'Arn'] }, 'arn:aws:sqs:us-east-1:000000000000:inference-platform-local-work'],
    [{ 'Fn::GetAtt': ['WorkQueue', 'QueueName'] }, 'inference-platform-local-work'],
    [{ 'Fn::GetAtt': 'WorkQueue.QueueUrl' }, 'http://127.0.0.1:9324/000000000000/inference-platform-local-work'],
    [{ 'Fn::GetAtt': ['PlatformBucket', 'Arn'] }, 'arn:aws:s3:::inference-platform-local'],
    [{ 'Fn::GetAtt': ['EventBus', 'Arn'] }, 'arn:aws:events:us-east-1:000000000000:event-bus/inference-platform-local'],
    [{ 'Fn::GetAtt': ['PlatformTable', 'Arn'] }, 'arn:aws:dynamodb:us-east-1:000000000000:table/inference-platform-local'],
    [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['PlatformBucket', 'Arn'] }, '/inbox/*']] }, 'arn:aws:s3:::inference-platform-local/inbox/*'],
    [
      { 'Fn::Sub': 's3://${PlatformBucket}/${!Literal}/${AWS::Region}/${WorkQueue.QueueName}' },
      's3://inference-platform-local/${Literal}/us-east-1/inference-platform-local-work',
    ],
    [{ 'Fn::Sub': ['${Name}-x', { Name: { Ref: 'EventBus' } }] }, 'inference-platform-local-x'],
    [42, '42'],
  ])('resolves %j', (value, expected) => {
    // Act & Assess
    expect(resolveIntrinsic(value, local, 'X')).toBe(expected);
  });

  it.each([
    [{ Ref: 'Missing' }, /provider\.environment\.X is \{"Ref":"Missing"\}.*Missing is not a queue, bucket, event bus or table/],
    [{ 'Fn::GetAtt': ['WorkQueue', 'Nope'] }, /attribute Nope is not emulated/],
    [
      { 'Fn::ImportValue': 'shared-vpc' },
      /provider\.environment\.X is \{"Fn::ImportValue":"shared-vpc"\}, which the local platform cannot resolve/,
    ],
  ])('refuses %j with an error naming the variable', (value, message) => {
    // Act
    const act = () => resolveEnvironment({ X: value }, local, 'provider.environment');

    // Assess
    expect(act).toThrow(ServerlessConfigError);
    expect(act).toThrow(message);
  });

  it('finds the local queue of an event source ARN, or says it is not one', () => {
    // Act & Assess
    expect(queueForArn({ 'Fn::GetAtt': ['IngestQueue', 'Arn'] }, local, 'functions.ingest.events[0].sqs.arn').logicalId).toBe(
      'IngestQueue',
    );
    expect(queueForArn('arn:aws:sqs:us-east-1:000000000000:inference-platform-local-work', local, 'w').logicalId).toBe('WorkQueue');
    expect(() => queueForArn('arn:aws:sqs:eu-west-1:123:elsewhere', local, 'functions.x.events[0].sqs.arn')).toThrow(
      /functions\.x\.events\[0\]\.sqs\.arn: arn:aws:sqs:eu-west-1:123:elsewhere is not a queue of resources\.Resources/,
    );
  });

  it('names resources without a name after their logical id', () => {
    // Act
    const named = namedResourcesFrom(
      parseServerlessConfig(
        'service: s\nresources:\n  Resources:\n    MyBucket:\n      Type: AWS::S3::Bucket\n    Bus:\n      Type: AWS::Events::EventBus\n',
      ).resources,
      'us-east-1',
    );

    // Assess
    expect(named.buckets.MyBucket?.name).toBe('mybucket');
    expect(named.eventBuses.Bus?.name).toBe('Bus');
  });
});
