import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalPlatform, type LocalPlatform } from '../../../../shared/devTools/localPlatform/platform';
import { s3ClientFor } from './standIns';

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
});
