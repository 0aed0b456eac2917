import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { namedResourcesFrom, type LocalResources } from '../../../../shared/devTools/localPlatform/localResources';
import { parseByteRange, startLocalS3, type LocalS3 } from '../../../../shared/devTools/localPlatform/s3';
import {
  S3NotificationForwarder,
  encodeS3EventKey,
  notificationMatches,
  queueNotificationsFrom,
  type QueueNotification,
} from '../../../../shared/devTools/localPlatform/s3Notifications';
import { createLocalSqsClient, createQueues, startLocalSqs, type LocalSqs } from '../../../../shared/devTools/localPlatform/sqs';
import { receiveAll, s3ClientFor, serviceConfig } from './standIns';

const config = serviceConfig();
const BUCKET = 'inference-platform-local';

describe('S3 stand-in (s3rver) with the bucket of serverless.yml and its notifications', () => {
  let sqs: LocalSqs;
  let sqsClient: SQSClient;
  let s3: LocalS3;
  let s3Client: S3Client;
  let local: LocalResources;
  let forwarder: S3NotificationForwarder;
  let ingestUrl: string;

  beforeAll(async () => {
    sqs = await startLocalSqs({ port: 0 });
    sqsClient = createLocalSqsClient(sqs.url);
    local = namedResourcesFrom(config.resources, 'us-east-1');
    await createQueues(sqsClient, config.resources, local);
    ingestUrl = local.queues.IngestQueue!.url;
    forwarder = new S3NotificationForwarder({
      client: sqsClient,
      notifications: queueNotificationsFrom(config.resources, local).notifications,
      region: 'us-east-1',
    });
    s3 = await startLocalS3({ port: 0, onObjectEvent: (event) => forwarder.forward(event) });
    await s3.createBucket(local.buckets.PlatformBucket!.name);
    s3Client = s3ClientFor(s3.url);
  });

  afterAll(async () => {
    s3Client.destroy();
    await s3.close();
    await forwarder.flush();
    sqsClient.destroy();
    await sqs.close();
  });

  const text = async (key: string, range?: string) => {
    const object = await s3Client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ...(range ? { Range: range } : {}) }));
    return { body: await object.Body!.transformToString(), contentRange: object.ContentRange, length: object.ContentLength };
  };

  it('replaces an object atomically, as S3 does: a GET during a PUT of the same key reads the old object whole, then the new one', async () => {
    // Prepare: an object, then a PUT of a new version whose body is only half sent.
    const key = 'jobs/atomic/results.jsonl';
    const old = Buffer.from('{"old":true}\n'.repeat(20_000));
    const next = Buffer.alloc(old.length * 2, 'n');
    await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: old }));
    const { hostname, port } = new URL(s3.url);
    const put = request({ hostname, port, method: 'PUT', path: `/${BUCKET}/${key}`, headers: { 'content-length': next.length } });
    const answered = new Promise<number>((resolve, reject) => {
      put.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      put.on('error', reject);
    });
    put.write(next.subarray(0, next.length / 2));
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Act: read while the PUT is under way, then after it.
    const during = Buffer.from(
      await (await s3Client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray(),
    );
    put.end(next.subarray(next.length / 2));
    expect(await answered).toBe(200);
    const after = Buffer.from(await (await s3Client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());

    // Assert: never a mix or a part.
    expect(during.equals(old)).toBe(true);
    expect(after.equals(next)).toBe(true);
  });

  it('keeps keys literal, as S3 does: . and .. segments are not normalised, in the object or its notification', async () => {
    // Prepare
    const key = 'inbox/local/../other/./dots.jsonl';
    await receiveAll(sqsClient, ingestUrl);

    // Act
    await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{"a":1}\n' }));
    await forwarder.flush();
    const messages = await receiveAll(sqsClient, ingestUrl);
    const literal = await text(key);
    const normalised = await s3Client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'inbox/other/dots.jsonl' })).then(
      () => 'found',
      () => 'missing',
    );

    // Assess
    expect(literal.body).toBe('{"a":1}\n');
    expect(normalised).toBe('missing');
    expect(messages.map((message) => decodeURIComponent(JSON.parse(message.Body!).Records[0].s3.object.key.replace(/\+/g, ' ')))).toEqual([
      key,
    ]);
  });

  it('notifies the ingest queue of a key holding an emoji (a 4-byte character the local SQS must carry, as SQS does)', async () => {
    // Prepare
    const key = 'inbox/local/report \u{1F680} final.jsonl';
    await receiveAll(sqsClient, ingestUrl);

    // Act
    await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{"a":1}\n' }));
    await forwarder.flush();
    const messages = await receiveAll(sqsClient, ingestUrl);

    // Assess
    expect(messages.map((message) => decodeURIComponent(JSON.parse(message.Body!).Records[0].s3.object.key.replace(/\+/g, ' ')))).toEqual([
      key,
    ]);
  });

  it('sends exactly one S3 event notification to the ingest queue for a put under inbox/', async () => {
    // Prepare
    const before = Date.now();

    // Act
    const put = await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbox/my file+1.jsonl', Body: '{"a":1}\n' }));
    await forwarder.flush();
    const messages = await receiveAll(sqsClient, ingestUrl);

    // Assess
    expect(messages).toHaveLength(1);
    const notification = JSON.parse(messages[0]!.Body!);
    expect(Object.keys(notification)).toEqual(['Records']);
    expect(notification.Records).toHaveLength(1);
    const [record] = notification.Records;
    expect(record).toEqual({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:local' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': put.$metadata.requestId, 'x-amz-id-2': put.$metadata.extendedRequestId },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: expect.any(String),
        bucket: { name: BUCKET, ownerIdentity: { principalId: expect.any(String) }, arn: `arn:aws:s3:::${BUCKET}` },
        object: {
          key: 'inbox/my+file%2B1.jsonl',
          size: 8,
          eTag: put.ETag!.replaceAll('"', ''),
          sequencer: expect.stringMatching(/^[0-9A-F]+$/),
        },
      },
    });
    expect(Date.parse(record.eventTime)).toBeGreaterThanOrEqual(before - 1000);
    expect(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '))).toBe('inbox/my file+1.jsonl');
  });

  it('sends nothing for a put outside inbox/', async () => {
    // Act
    await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'outputs/job-1/results.jsonl', Body: 'x' }));
    await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'files/inbox/not-a-drop.jsonl', Body: 'x' }));
    await forwarder.flush();

    // Assess
    await expect(receiveAll(sqsClient, ingestUrl)).resolves.toEqual([]);
  });

  it('names a multipart upload ObjectCreated:CompleteMultipartUpload', async () => {
    // Prepare: two parts of 5 MiB and a bit.
    const body = Buffer.alloc(5 * 1024 * 1024 + 10, 'a');

    // Act
    await new Upload({
      client: s3Client,
      params: { Bucket: BUCKET, Key: 'inbox/big.jsonl', Body: Readable.from([body]) },
      partSize: 5 * 1024 * 1024,
    }).done();
    await forwarder.flush();
    const messages = await receiveAll(sqsClient, ingestUrl);

    // Assess
    expect(messages.map((message) => JSON.parse(message.Body!).Records[0].eventName)).toEqual(['ObjectCreated:CompleteMultipartUpload']);
    expect(JSON.parse(messages[0]!.Body!).Records[0].s3.object.size).toBe(body.length);
    await expect(s3Client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'inbox/big.jsonl' }))).resolves.toMatchObject({
      ContentLength: body.length,
    });
  });

  it('keeps user metadata (x-amz-meta-*) and the content type', async () => {
    // Prepare
    await s3Client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'files/meta.jsonl',
        Body: 'x',
        ContentType: 'application/jsonl',
        Metadata: { model: 'gpt-oss-20b', 'job-id': 'job_1' },
      }),
    );

    // Act
    const head = await s3Client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'files/meta.jsonl' }));

    // Assess
    expect(head.Metadata).toEqual({ model: 'gpt-oss-20b', 'job-id': 'job_1' });
    expect(head.ContentType).toBe('application/jsonl');
    expect(head.ContentLength).toBe(1);
  });

  it('answers ranged GETs with the requested bytes and a Content-Range', async () => {
    // Prepare
    await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'files/digits.txt', Body: '0123456789' }));

    // Act
    const middle = await text('files/digits.txt', 'bytes=2-4');
    const first = await text('files/digits.txt', 'bytes=0-0');
    const suffix = await text('files/digits.txt', 'bytes=-3');
    const open = await text('files/digits.txt', 'bytes=7-');
    const past = await text('files/digits.txt', 'bytes=8-100');
    const beyond = text('files/digits.txt', 'bytes=10-12');

    // Assess
    expect(middle).toEqual({ body: '234', contentRange: 'bytes 2-4/10', length: 3 });
    expect(first).toEqual({ body: '0', contentRange: 'bytes 0-0/10', length: 1 });
    expect(suffix).toEqual({ body: '789', contentRange: 'bytes 7-9/10', length: 3 });
    expect(open).toEqual({ body: '789', contentRange: 'bytes 7-9/10', length: 3 });
    expect(past).toEqual({ body: '89', contentRange: 'bytes 8-9/10', length: 2 });
    await expect(beyond).rejects.toMatchObject({ name: 'InvalidRange', $metadata: { httpStatusCode: 416 } });
  });

  it('says which port is taken when it cannot listen', async () => {
    // Act
    const act = startLocalS3({ port: s3.port });

    // Assess
    await expect(act).rejects.toThrow(`S3 (s3rver) cannot listen on 127.0.0.1:${s3.port}: the port is already in use. Set S3_PORT`);
  });

  it('stores a streamed (aws-chunked) upload as its bytes, without the framing', async () => {
    // Act
    await s3Client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'files/streamed.txt',
        Body: Readable.from([Buffer.from('hello '), Buffer.from('world')]),
        ContentLength: 11,
      }),
    );
    const head = await s3Client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'files/streamed.txt' }));

    // Assess
    await expect(text('files/streamed.txt')).resolves.toMatchObject({ body: 'hello world', length: 11 });
    expect(head.ContentEncoding).toBeUndefined();
  });
});

describe('S3 notification rules', () => {
  const notification = (overrides: Partial<QueueNotification> = {}): QueueNotification => ({
    bucket: 'b',
    configurationId: 'c',
    event: 's3:ObjectCreated:*',
    prefix: 'inbox/',
    queue: { logicalId: 'Q', name: 'q', url: 'u', arn: 'a', visibilityTimeoutSeconds: 30 },
    ...overrides,
  });

  it.each([
    ['s3:ObjectCreated:*', 'ObjectCreated:Put', 'inbox/a.jsonl', true],
    ['s3:ObjectCreated:*', 'ObjectCreated:CompleteMultipartUpload', 'inbox/a.jsonl', true],
    ['s3:ObjectCreated:*', 'ObjectRemoved:Delete', 'inbox/a.jsonl', false],
    ['s3:ObjectCreated:Put', 'ObjectCreated:Copy', 'inbox/a.jsonl', false],
    ['s3:ObjectCreated:*', 'ObjectCreated:Put', 'outputs/a.jsonl', false],
  ])('%s for %s of %s: %s', (event, eventName, key, expected) => {
    // Act
    const matches = notificationMatches(notification({ event }), { bucket: 'b', eventName, key });

    // Assess
    expect(matches).toBe(expected);
  });

  it('applies a suffix rule and the bucket', () => {
    // Prepare
    const jsonlOnly = notification({ suffix: '.jsonl' });

    // Act & Assess
    expect(notificationMatches(jsonlOnly, { bucket: 'b', eventName: 'ObjectCreated:Put', key: 'inbox/a.jsonl' })).toBe(true);
    expect(notificationMatches(jsonlOnly, { bucket: 'b', eventName: 'ObjectCreated:Put', key: 'inbox/a.csv' })).toBe(false);
    expect(notificationMatches(jsonlOnly, { bucket: 'other', eventName: 'ObjectCreated:Put', key: 'inbox/a.jsonl' })).toBe(false);
  });

  it('encodes keys as S3 does in notifications', () => {
    // Act & Assess
    expect(encodeS3EventKey('inbox/red flower.jpg')).toBe('inbox/red+flower.jpg');
    expect(encodeS3EventKey('inbox/a+b=c&d (1)ü.jsonl')).toBe('inbox/a%2Bb%3Dc%26d+%281%29%C3%BC.jsonl');
    expect(encodeS3EventKey('inbox/plain-name_1.jsonl')).toBe('inbox/plain-name_1.jsonl');
  });

  it('reads the QueueConfigurations of the platform bucket', () => {
    // Prepare
    const local = namedResourcesFrom(config.resources, 'us-east-1');
    local.queues.IngestQueue = {
      logicalId: 'IngestQueue',
      name: 'ingest',
      url: 'http://q/ingest',
      arn: 'arn:aws:sqs:us-east-1:000000000000:ingest',
      visibilityTimeoutSeconds: 1,
    };

    // Act
    const { notifications, gaps } = queueNotificationsFrom(config.resources, local);

    // Assess
    expect(notifications).toEqual([
      {
        bucket: BUCKET,
        configurationId: expect.any(String),
        event: 's3:ObjectCreated:*',
        prefix: 'inbox/',
        queue: local.queues.IngestQueue,
      },
    ]);
    expect(gaps.ignored).toEqual([]);
  });

  it.each([
    ['bytes=2-4', 10, { start: 2, end: 4 }],
    ['bytes=0-0', 10, { start: 0, end: 0 }],
    ['bytes=-3', 10, { start: 7, end: 9 }],
    ['bytes=-30', 10, { start: 0, end: 9 }],
    ['bytes=5-', 10, { start: 5, end: 9 }],
    ['bytes=10-', 10, 'unsatisfiable'],
    ['bytes=-0', 10, 'unsatisfiable'],
    ['bytes=4-2', 10, undefined],
    ['bytes=0-1,4-5', 10, undefined],
  ])('reads Range %s of %d bytes', (header, size, expected) => {
    // Act & Assess
    expect(parseByteRange(header, size)).toEqual(expected);
  });
});
