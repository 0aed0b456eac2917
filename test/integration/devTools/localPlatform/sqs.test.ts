import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { namedResourcesFrom, type LocalResources } from '../../../../shared/devTools/localPlatform/localResources';
import type { CloudFormationResource } from '../../../../shared/devTools/localPlatform/serverlessConfig';
import { createLocalSqsClient, createQueues, startLocalSqs, type LocalSqs } from '../../../../shared/devTools/localPlatform/sqs';
import { receiveAll, receiveOnce, serviceConfig } from './standIns';

const config = serviceConfig();
const emptyResources = (): LocalResources => namedResourcesFrom({}, 'us-east-1');

describe('SQS stand-in (fauxqs) with the queues of serverless.yml', () => {
  let sqs: LocalSqs;
  let client: SQSClient;
  let local: LocalResources;

  beforeAll(async () => {
    sqs = await startLocalSqs({ port: 0 });
    client = createLocalSqsClient(sqs.url);
    local = namedResourcesFrom(config.resources, 'us-east-1');
    await createQueues(client, config.resources, local);
  });

  afterAll(async () => {
    client.destroy();
    await sqs.close();
  });

  const attributesOf = async (url: string) =>
    (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};

  it('creates every queue with a URL on the loopback host and an ARN of the local account', () => {
    // Assess
    expect(Object.keys(local.queues).sort()).toEqual([
      'FinalizeDeadLetterQueue',
      'FinalizeQueue',
      'IngestDeadLetterQueue',
      'IngestQueue',
      'RequestsDeadLetterQueue',
      'RequestsQueue',
      'ResultsDeadLetterQueue',
      'ResultsQueue',
      'WorkDeadLetterQueue',
      'WorkQueue',
    ]);
    expect(local.queues.IngestQueue).toEqual({
      logicalId: 'IngestQueue',
      name: 'inference-platform-local-ingest',
      url: `${sqs.url}/000000000000/inference-platform-local-ingest`,
      arn: 'arn:aws:sqs:us-east-1:000000000000:inference-platform-local-ingest',
      visibilityTimeoutSeconds: 5400,
    });
    expect(sqs.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('gives each queue its attributes and a RedrivePolicy naming its dead-letter queue', async () => {
    // Act
    const work = await attributesOf(local.queues.WorkQueue!.url);
    const dlq = await attributesOf(local.queues.WorkDeadLetterQueue!.url);

    // Assess
    expect(work.VisibilityTimeout).toBe('1800');
    expect(JSON.parse(work.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: local.queues.WorkDeadLetterQueue!.arn,
      maxReceiveCount: 5,
    });
    expect(dlq.MessageRetentionPeriod).toBe('1209600');
    expect(dlq.RedrivePolicy).toBeUndefined();
  });

  it('moves a message received maxReceiveCount times without a delete to the dead-letter queue', async () => {
    // Prepare
    const resources: Record<string, CloudFormationResource> = {
      Main: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          QueueName: 'redrive-main',
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dead', 'Arn'] }, maxReceiveCount: 2 },
        },
      },
      Dead: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'redrive-dead' } },
    };
    const own = emptyResources();
    await createQueues(client, resources, own);
    await client.send(new SendMessageCommand({ QueueUrl: own.queues.Main!.url, MessageBody: 'poison' }));

    // Act: two receives whose visibility ends at once, as if the consumer crashed twice.
    const first = await receiveOnce(client, own.queues.Main!.url, 1, 0);
    const second = await receiveOnce(client, own.queues.Main!.url, 1, 0);
    const third = await receiveOnce(client, own.queues.Main!.url, 0, 0);
    const dead = await receiveAll(client, own.queues.Dead!.url, 1);

    // Assess
    expect(first.map((message) => message.Attributes?.ApproximateReceiveCount)).toEqual(['1']);
    expect(second.map((message) => message.Attributes?.ApproximateReceiveCount)).toEqual(['2']);
    expect(third).toEqual([]);
    expect(dead.map((message) => message.Body)).toEqual(['poison']);
  });

  it('replaces every VisibilityTimeout when asked to (tests retry in seconds)', async () => {
    // Prepare
    const own = emptyResources();

    // Act
    await createQueues(
      client,
      { Short: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'short-visibility', VisibilityTimeout: 900 } } },
      own,
      { visibilityTimeoutSeconds: 1 },
    );

    // Assess
    expect((await attributesOf(own.queues.Short!.url)).VisibilityTimeout).toBe('1');
    expect(own.queues.Short!.visibilityTimeoutSeconds).toBe(1);
  });

  it('gives the queues named their own VisibilityTimeout before the one for every queue, and refuses an unknown name', async () => {
    // Prepare
    const own = emptyResources();
    const queues = {
      Long: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'long-visibility', VisibilityTimeout: 5400 } },
      Other: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'other-visibility', VisibilityTimeout: 900 } },
    };

    // Act
    await createQueues(client, queues, own, { visibilityTimeoutSeconds: 1, queueVisibilityTimeouts: { Long: 60 } });
    const unknown = await createQueues(client, queues, emptyResources(), { queueVisibilityTimeouts: { Missing: 60 } }).catch(
      (error: Error) => error,
    );

    // Assess
    expect((await attributesOf(own.queues.Long!.url)).VisibilityTimeout).toBe('60');
    expect((await attributesOf(own.queues.Other!.url)).VisibilityTimeout).toBe('1');
    expect(unknown).toBeInstanceOf(Error);
    expect((unknown as Error).message).toMatch(/name Missing, not queues of resources.Resources/);
  });

  it('names a queue without QueueName after its logical id, with .fifo for a FIFO queue', async () => {
    // Prepare
    const own = emptyResources();

    // Act
    await createQueues(
      client,
      {
        Ordered: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true, ContentBasedDeduplication: true } },
        Plain: { Type: 'AWS::SQS::Queue' },
      },
      own,
    );

    // Assess
    expect(own.queues.Ordered!.name).toBe('Ordered.fifo');
    expect(own.queues.Plain!.visibilityTimeoutSeconds).toBe(30);
    expect(await attributesOf(own.queues.Ordered!.url)).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'true' });
  });

  it('refuses a RedrivePolicy whose target is not a queue of the resources', async () => {
    // Act
    const act = createQueues(
      client,
      {
        Lost: {
          Type: 'AWS::SQS::Queue',
          Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Nowhere', 'Arn'] }, maxReceiveCount: 1 } },
        },
      },
      emptyResources(),
    );

    // Assess
    await expect(act).rejects.toThrow(
      /Lost\.Properties\.RedrivePolicy\.deadLetterTargetArn .*Nowhere is not a queue, bucket, event bus or table/,
    );
  });

  it('says which port is taken when it cannot listen', async () => {
    // Act
    const act = startLocalSqs({ port: sqs.port });

    // Assess
    await expect(act).rejects.toThrow(`SQS (fauxqs) cannot listen on 127.0.0.1:${sqs.port}: the port is already in use. Set SQS_PORT`);
  });
});
