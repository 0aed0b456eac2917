import { BedrockClient, CreateModelInvocationJobCommand, GetModelInvocationJobCommand } from '@aws-sdk/client-bedrock';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalPlatform, type LocalPlatform } from '../../../../shared/devTools/localPlatform/platform';
import type { RecordedEvent } from '../../../../shared/devTools/localPlatform/eventBridge';
import { waitFor } from '../../../helpers/waitFor';
import { LOCAL_CREDENTIALS, s3ClientFor } from './standIns';

describe('startLocalPlatform in this process', () => {
  const env: NodeJS.ProcessEnv = {
    MODEL_CATALOGUE: '{"set":"by the user"}',
    AWS_ENDPOINT_URL_SQS: 'http://sqs.example.com',
    AWS_ACCESS_KEY_ID: 'AKIAREALKEY',
  };
  const logged: string[] = [];
  let platform: LocalPlatform;

  beforeAll(async () => {
    platform = await startLocalPlatform({
      apiPort: 0,
      dynamoDbPort: 0,
      simulatorPort: 0,
      s3Port: 0,
      sqsPort: 0,
      eventsPort: 0,
      env,
      quiet: true,
      logger: { info: (line) => logged.push(line), error: (line) => logged.push(line) },
    });
  });

  afterAll(async () => {
    await platform?.close();
  });

  it('creates the bucket, the queues and the event bus of serverless.yml', () => {
    // Assess
    expect(platform.bucketName).toBe('inference-platform-local');
    expect(Object.keys(platform.queues).sort()).toEqual([
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
    expect(platform.resources.eventBuses.EventBus?.name).toBe('inference-platform-local');
    for (const url of [platform.urls.s3, platform.urls.sqs, platform.urls.events]) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('gives the functions the local queue URLs, names and endpoints for the intrinsics of serverless.yml', () => {
    // Assess
    expect(env).toMatchObject({
      WORK_QUEUE_URL: platform.queues.WorkQueue!.url,
      FINALIZE_QUEUE_URL: platform.queues.FinalizeQueue!.url,
      INGEST_QUEUE_URL: platform.queues.IngestQueue!.url,
      BUCKET_NAME: 'inference-platform-local',
      EVENT_BUS_NAME: 'inference-platform-local',
      AWS_ENDPOINT_URL_S3: platform.urls.s3,
      AWS_ENDPOINT_URL_EVENTBRIDGE: platform.urls.events,
      AWS_ENDPOINT_URL_BEDROCK: platform.urls.simulator,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: platform.urls.simulator,
      AWS_S3_FORCE_PATH_STYLE: 'true',
    });
  });

  it('keeps what the user set, but always points endpoints and credentials at the stand-ins', () => {
    // Assess
    expect(env.MODEL_CATALOGUE).toBe('{"set":"by the user"}');
    expect(env.AWS_ENDPOINT_URL_SQS).toBe(platform.urls.sqs);
    expect(env.AWS_ACCESS_KEY_ID).toBe('local');
  });

  it('serves the bucket over S3', async () => {
    // Prepare
    const s3 = s3ClientFor(platform.urls.s3);

    try {
      // Act
      await s3.send(new PutObjectCommand({ Bucket: platform.bucketName, Key: 'files/hello.txt', Body: 'hello' }));
      const object = await s3.send(new GetObjectCommand({ Bucket: platform.bucketName, Key: 'files/hello.txt' }));

      // Assess
      await expect(object.Body!.transformToString()).resolves.toBe('hello');
    } finally {
      s3.destroy();
    }
  });

  it('runs a Bedrock batch inference job on the simulator over the local bucket, with its events on the local EventBridge', async () => {
    // Prepare
    const s3 = s3ClientFor(platform.urls.s3);
    const bedrock = new BedrockClient({ endpoint: env.AWS_ENDPOINT_URL_BEDROCK, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ recordId: `r${i}`, modelInput: { inputText: `line ${i}` } }));

    try {
      await s3.send(new PutObjectCommand({ Bucket: platform.bucketName, Key: 'bedrock-batch/in/lines.jsonl', Body: lines.join('\n') }));

      // Act
      const { jobArn } = await bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: 'platform-smoke',
          roleArn: 'arn:aws:iam::000000000000:role/BedrockBatch',
          modelId: 'amazon.titan-embed-text-v2:0',
          inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${platform.bucketName}/bedrock-batch/in/lines.jsonl` } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${platform.bucketName}/bedrock-batch/out/` } },
        }),
      );
      const job = await waitFor(
        () => bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })),
        (got) => got.status === 'Completed',
        20_000,
        25,
      );
      const jobId = jobArn!.slice(jobArn!.lastIndexOf('/') + 1);
      const manifest = await s3.send(
        new GetObjectCommand({ Bucket: platform.bucketName, Key: `bedrock-batch/out/${jobId}/manifest.json.out` }),
      );
      const statuses = await waitFor(
        async () =>
          ((await (await fetch(`${platform.urls.events}/_events`)).json()) as RecordedEvent[])
            .filter((event) => event.source === 'aws.bedrock')
            .map((event) => (event.detail as { status: string }).status),
        (seen) => seen.includes('Completed'),
        5_000,
        25,
      );

      // Assess
      expect(job.successRecordCount).toBe(100);
      expect(JSON.parse(await manifest.Body!.transformToString())).toMatchObject({ totalRecordCount: 100, successRecordCount: 100 });
      expect(statuses).toEqual(['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Completed']);
    } finally {
      s3.destroy();
      bedrock.destroy();
    }
  });
});
