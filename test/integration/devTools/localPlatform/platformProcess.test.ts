import { PutEventsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../../../helpers/localPlatform';
import { LOCAL_CREDENTIALS, receiveAll, s3ClientFor } from './standIns';
import { waitUntil } from '../../../helpers/waitFor';

describe('npm start (shared/devTools/localPlatform/start.ts) in a child process', () => {
  let platform: LocalPlatformProcess | undefined;

  afterAll(async () => {
    await platform?.stop();
  });

  it('comes up on free ports and prints where everything is', async () => {
    // Act
    platform = await startLocalPlatformProcess({ INFER_API_KEY_2: 'sk-second', INFER_QUIET: '0' });

    // Assess
    expect(platform.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(platform.dynamodb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(platform.simulator).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(platform.apiKey).toBe('sk-local');
    expect(platform.tableName).toBe('inference-platform-local');
    expect(platform.output()).toContain('(tenant local-2)');
    for (const url of [platform.s3, platform.sqs, platform.events]) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(platform.bucket).toBe('inference-platform-local');
    expect(platform.queues).toMatchObject({
      IngestQueue: `${platform.sqs}/000000000000/inference-platform-local-ingest`,
      WorkQueue: `${platform.sqs}/000000000000/inference-platform-local-work`,
      FinalizeDeadLetterQueue: `${platform.sqs}/000000000000/inference-platform-local-finalize-dlq`,
    });
    expect(platform.output()).toContain(`S3                ${platform.s3}   bucket inference-platform-local`);
    expect(platform.output()).toContain('Queue pollers     ingest, worker, finalize');
  });

  it('serves S3, SQS and EventBridge to the real SDK clients', async () => {
    // Prepare
    const s3 = s3ClientFor(platform!.s3);
    const sqs = new SQSClient({ endpoint: platform!.sqs, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    const events = new EventBridgeClient({ endpoint: platform!.events, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    // A dead-letter queue has no poller, so what is sent there stays.
    const dlq = platform!.queues.WorkDeadLetterQueue!;

    try {
      // Act
      await s3.send(new PutObjectCommand({ Bucket: platform!.bucket, Key: 'files/a.txt', Body: 'abc' }));
      const object = await s3.send(new GetObjectCommand({ Bucket: platform!.bucket, Key: 'files/a.txt', Range: 'bytes=1-1' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: 'parked' }));
      const parked = await receiveAll(sqs, dlq);
      await events.send(
        new PutEventsCommand({
          Entries: [{ EventBusName: 'inference-platform-local', Source: 'test', DetailType: 'Ping', Detail: '{"n":1}' }],
        }),
      );
      const recorded = (await (await fetch(`${platform!.events}/_events`)).json()) as Array<{ detail: unknown }>;

      // Assess
      await expect(object.Body!.transformToString()).resolves.toBe('b');
      expect(parked.map((message) => message.Body)).toEqual(['parked']);
      expect(recorded.map((event) => event.detail)).toEqual([{ n: 1 }]);
      await waitUntil('the event line on stdout', () => platform!.output().includes('"detail-type":"Ping"'));
    } finally {
      s3.destroy();
      sqs.destroy();
      events.destroy();
    }
  });

  it('serves GET /health through the health handler', async () => {
    // Act
    const response = await fetch(`${platform!.api}/health`);

    // Assess
    expect(response.headers.get('x-amzn-requestid')).toBeTruthy();
    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({ status: 'ok' });
  });

  it('answers 404 for an unknown route and logs the request', async () => {
    // Act
    const response = await fetch(`${platform!.api}/nowhere`);
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    expect(response.status).toBe(404);
    await expect(response.json()).resolves.toEqual({ message: 'Not Found' });
    expect(platform!.output()).toMatch(/\[http\] GET \/nowhere 404 \d+ms/);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    // Act
    const code = await platform!.stop();

    // Assess
    expect(code).toBe(0);
    await expect(fetch(`${platform!.api}/health`)).rejects.toThrow();
  });

  it('explains a port in use and exits 1', async () => {
    // Prepare
    const { createServer } = await import('node:http');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };

    try {
      // Act
      const act = startLocalPlatformProcess({ INFER_PORT: String(port) });

      // Assess
      await expect(act).rejects.toThrow(
        /exited with code 1[\s\S]*HTTP API cannot listen on 127\.0\.0\.1:\d+: the port is already in use\. Set INFER_PORT/,
      );
    } finally {
      blocker.close();
    }
  });
});
