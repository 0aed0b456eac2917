import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import type { LambdaHandler, LocalFunction } from '../../../../shared/devTools/localPlatform/localFunction';
import { namedResourcesFrom, type LocalQueue, type LocalResources } from '../../../../shared/devTools/localPlatform/localResources';
import { startLocalS3 } from '../../../../shared/devTools/localPlatform/s3';
import { S3NotificationForwarder, queueNotificationsFrom } from '../../../../shared/devTools/localPlatform/s3Notifications';
import { parseServerlessConfig } from '../../../../shared/devTools/localPlatform/serverlessConfig';
import { createLocalSqsClient, createQueues, startLocalSqs, type LocalSqs } from '../../../../shared/devTools/localPlatform/sqs';
import { LocalFaults } from '../../../../shared/devTools/localPlatform/faultInjection';
import { batchOutcomeOf } from '../../../../shared/devTools/localPlatform/sqsEvent';
import {
  SqsEventSource,
  startSqsEventSources,
  type SqsEventSourceOptions,
  type SqsEventSources,
} from '../../../../shared/devTools/localPlatform/sqsEventSource';
import { receiveAll, s3ClientFor, serviceConfig } from './standIns';
import { waitUntil } from '../../../helpers/waitFor';

/** A function of the test: its handler is given inline, every event it got recorded. */
function fakeFunction(handler: (event: SQSEvent, call: number, context: Context) => unknown, timeoutSeconds = 5) {
  const events: SQSEvent[] = [];
  let running = 0;
  const stats = { maxConcurrent: 0, finished: 0 };
  const fn: LocalFunction = {
    functionName: 'svc-test-consumer',
    timeoutSeconds,
    memorySize: 128,
    loadHandler: async () =>
      (async (event: SQSEvent, context: Context) => {
        events.push(event);
        running += 1;
        stats.maxConcurrent = Math.max(stats.maxConcurrent, running);
        try {
          return await handler(event, events.length, context);
        } finally {
          running -= 1;
          stats.finished += 1;
        }
      }) as LambdaHandler,
  };
  return { fn, events, stats };
}

const logged: string[] = [];
const logger = { info: (line: string) => logged.push(line), error: (line: string) => logged.push(line) };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const idsOf = (event: SQSEvent) => event.Records.map((record) => record.messageId);

describe('SQS event source mapping (local pollers)', () => {
  let sqs: LocalSqs;
  let client: SQSClient;
  const running: Array<{ stop(graceMs?: number): Promise<unknown> }> = [];
  let queueCount = 0;

  beforeAll(async () => {
    sqs = await startLocalSqs({ port: 0 });
    client = createLocalSqsClient(sqs.url);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((source) => source.stop(5_000)));
    logged.length = 0;
  });

  afterAll(async () => {
    client.destroy();
    await sqs.close();
  });

  /** A fresh queue with a 1 s visibility timeout and, if asked, a DLQ after `maxReceiveCount`. */
  async function newQueue(maxReceiveCount?: number): Promise<{ queue: LocalQueue; dlq?: LocalQueue }> {
    queueCount += 1;
    const local = namedResourcesFrom({}, 'us-east-1');
    await createQueues(
      client,
      {
        Queue: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            QueueName: `poller-${queueCount}`,
            VisibilityTimeout: 1,
            ...(maxReceiveCount ? { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dead', 'Arn'] }, maxReceiveCount } } : {}),
          },
        },
        ...(maxReceiveCount ? { Dead: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `poller-${queueCount}-dlq` } } } : {}),
      },
      local,
    );
    return { queue: local.queues.Queue!, ...(local.queues.Dead ? { dlq: local.queues.Dead } : {}) };
  }

  async function send(queue: LocalQueue, bodies: string[]): Promise<void> {
    for (let start = 0; start < bodies.length; start += 10) {
      const entries = bodies.slice(start, start + 10).map((body, index) => ({ Id: String(index), MessageBody: body }));
      await client.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: entries }));
    }
  }

  function startSource(options: Omit<SqsEventSourceOptions, 'client' | 'region' | 'logger'>): SqsEventSource {
    const source = new SqsEventSource({ client, region: 'us-east-1', logger, pollWaitSeconds: 1, ...options });
    running.push(source);
    source.start();
    return source;
  }

  it('invokes the function with a real SQS event and deletes the batch on success', async () => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction(() => undefined);
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"chunk":1}',
        MessageAttributes: {
          jobId: { DataType: 'String', StringValue: 'job_1' },
          raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );

    // Act
    startSource({ queue, fn: consumer.fn });
    await waitUntil('an invocation', () => consumer.stats.finished === 1);

    // Assess
    expect(consumer.events[0]).toEqual({
      Records: [
        {
          messageId: sent.MessageId,
          receiptHandle: expect.any(String),
          body: '{"chunk":1}',
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: expect.stringMatching(/^\d{13}$/),
            SenderId: expect.any(String),
            ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
          },
          messageAttributes: {
            jobId: { stringValue: 'job_1', stringListValues: [], binaryListValues: [], dataType: 'String' },
            raw: { binaryValue: 'AQID', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
          },
          md5OfBody: sent.MD5OfMessageBody,
          md5OfMessageAttributes: sent.MD5OfMessageAttributes,
          eventSource: 'aws:sqs',
          eventSourceARN: queue.arn,
          awsRegion: 'us-east-1',
        },
      ],
    });
    await sleep(1_100);
    await expect(receiveAll(client, queue.url, 0)).resolves.toEqual([]);
  });

  it('honours batchSize, gathering within the batching window', async () => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction(() => undefined);
    await send(queue, ['1', '2', '3', '4', '5', '6', '7']);

    // Act
    startSource({ queue, fn: consumer.fn, batchSize: 3, maximumBatchingWindowSeconds: 1, concurrency: 1 });
    await waitUntil('every message', () => consumer.events.flatMap(idsOf).length === 7);

    // Assess
    expect(consumer.events.map((event) => event.Records.length)).toEqual([3, 3, 1]);
  });

  it('fills a batch larger than one receive (batchSize above 10)', async () => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction(() => undefined);
    await send(
      queue,
      Array.from({ length: 25 }, (_, index) => String(index)),
    );

    // Act
    startSource({ queue, fn: consumer.fn, batchSize: 15, concurrency: 1 });
    await waitUntil('every message', () => consumer.events.flatMap(idsOf).length === 25);

    // Assess
    expect(consumer.events.map((event) => event.Records.length)).toEqual([15, 10]);
  });

  it('waits up to maximumBatchingWindow for more messages before invoking', async () => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction(() => undefined);
    startSource({ queue, fn: consumer.fn, batchSize: 5, maximumBatchingWindowSeconds: 1, concurrency: 1 });

    // Act
    await send(queue, ['first']);
    await sleep(300);
    await send(queue, ['second', 'third']);
    await waitUntil('an invocation', () => consumer.stats.finished === 1);

    // Assess
    expect(consumer.events[0]!.Records.map((record) => record.body).sort()).toEqual(['first', 'second', 'third']);
  });

  it('redelivers only the messages named in batchItemFailures (ReportBatchItemFailures)', async () => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction((event, call) => ({
      batchItemFailures:
        call === 1
          ? event.Records.filter((record) => record.body.startsWith('bad')).map((record) => ({ itemIdentifier: record.messageId }))
          : [],
    }));
    await send(queue, ['good-1', 'bad-1', 'good-2', 'bad-2']);

    // Act
    startSource({ queue, fn: consumer.fn, batchSize: 10, reportBatchItemFailures: true, concurrency: 1 });
    await waitUntil('the retry', () => consumer.stats.finished >= 2);
    await sleep(1_200);

    // Assess
    expect(consumer.events).toHaveLength(2);
    expect(consumer.events[0]!.Records.map((record) => record.body).sort()).toEqual(['bad-1', 'bad-2', 'good-1', 'good-2']);
    expect(consumer.events[1]!.Records.map((record) => [record.body, record.attributes.ApproximateReceiveCount]).sort()).toEqual([
      ['bad-1', '2'],
      ['bad-2', '2'],
    ]);
  });

  it('redelivers the whole batch when the function throws', async () => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction((_event, call) => {
      if (call === 1) throw new Error('handler bug');
    });
    await send(queue, ['a', 'b', 'c']);

    // Act
    startSource({ queue, fn: consumer.fn, reportBatchItemFailures: true, concurrency: 1 });
    await waitUntil('the retry', () => consumer.stats.finished >= 2);

    // Assess
    expect(idsOf(consumer.events[1]!).sort()).toEqual(idsOf(consumer.events[0]!).sort());
    expect(consumer.events[1]!.Records.every((record) => record.attributes.ApproximateReceiveCount === '2')).toBe(true);
    expect(logged.join('\n')).toMatch(/batch of 3 failed \(the function threw\)/);
  });

  it('redelivers the whole batch when the function runs past its timeout', async () => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction((_event, call) => (call === 1 ? sleep(600) : undefined), 0.2);
    await send(queue, ['slow']);

    // Act
    startSource({ queue, fn: consumer.fn, concurrency: 1 });
    await waitUntil('the retry', () => consumer.events.length >= 2);

    // Assess
    expect(consumer.events[1]!.Records[0]!.attributes.ApproximateReceiveCount).toBe('2');
    expect(logged.join('\n')).toMatch(/svc-test-consumer timed out after 0\.2 seconds/);
  });

  it.each([
    [
      'an unknown itemIdentifier',
      (event: SQSEvent) => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }, { itemIdentifier: event.Records[0]!.messageId }] }),
    ],
    ['an empty itemIdentifier', () => ({ batchItemFailures: [{ itemIdentifier: '' }] })],
    ['batchItemFailures that is not a list', () => ({ batchItemFailures: 'all' })],
    ['a response that is not an object', () => 'done'],
  ])('treats %s as a failure of the whole batch', async (_what, answer) => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction((event, call) => (call === 1 ? answer(event) : undefined));
    await send(queue, ['a', 'b']);

    // Act
    startSource({ queue, fn: consumer.fn, reportBatchItemFailures: true, concurrency: 1 });
    await waitUntil('the retry', () => consumer.stats.finished >= 2);

    // Assess
    expect(idsOf(consumer.events[1]!).sort()).toEqual(idsOf(consumer.events[0]!).sort());
    expect(logged.join('\n')).toMatch(/failed: .*every message will be retried/);
  });

  it('ignores batchItemFailures without ReportBatchItemFailures, as Lambda does', async () => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction((event) => ({
      batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
    }));
    await send(queue, ['a']);

    // Act
    startSource({ queue, fn: consumer.fn, concurrency: 1 });
    await waitUntil('an invocation', () => consumer.stats.finished === 1);
    await sleep(1_200);

    // Assess
    expect(consumer.events).toHaveLength(1);
  });

  it('moves a message that always fails to the dead-letter queue after maxReceiveCount', async () => {
    // Prepare
    const { queue, dlq } = await newQueue(2);
    const consumer = fakeFunction(() => {
      throw new Error('poison');
    });
    await send(queue, ['poison']);

    // Act
    startSource({ queue, fn: consumer.fn, concurrency: 1 });
    const dead = await waitUntil('the message in the DLQ', async () => {
      const messages = await receiveAll(client, dlq!.url, 1);
      return messages.length ? messages : undefined;
    });

    // Assess
    expect(dead.map((message) => message.Body)).toEqual(['poison']);
    expect(consumer.events).toHaveLength(2);
  });

  it('runs up to `concurrency` invocations at once', async () => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction(() => sleep(300));
    await send(queue, ['1', '2', '3', '4']);

    // Act
    startSource({ queue, fn: consumer.fn, batchSize: 1, concurrency: 2 });
    await waitUntil('every message', () => consumer.stats.finished === 4);

    // Assess
    expect(consumer.stats.maxConcurrent).toBe(2);
  });

  it("scales its pollers as Lambda's under a backlog: two while quiet, five at the first messages, more while receives find messages, never above the maximum", async () => {
    // Prepare: every invocation holds its message until released, so only more pollers take more.
    const { queue } = await newQueue();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const consumer = fakeFunction(() => released, 30);
    const source = startSource({ queue, fn: consumer.fn, batchSize: 1, concurrency: 12, scaleIntervalMs: 20 });
    const quiet = source.scaling;

    // Act
    await send(
      queue,
      Array.from({ length: 40 }, (_, index) => `m${index}`),
    );
    await waitUntil('the maximum concurrency', () => consumer.stats.maxConcurrent === 12);
    const underBacklog = source.scaling;
    release();
    // The queue's visibility timeout is 1 s: held messages come back, so count bodies, not invocations.
    const bodies = () => new Set(consumer.events.flatMap((event) => event.Records.map((record) => record.body)));
    await waitUntil('every message', () => bodies().size === 40);
    await waitUntil('the quiet pollers again', () => source.scaling.pollers === 2);

    // Assess
    expect(quiet).toMatchObject({ maxConcurrency: 12, pollers: 2, peakPollers: 2, peakInFlight: 0, added: 0 });
    // 2 to start, then 10 added (3 at the first messages, 7 by the scaling steps), none more.
    expect(underBacklog).toMatchObject({ pollers: 12, peakPollers: 12, peakInFlight: 12, added: 10 });
    expect(consumer.stats.maxConcurrent).toBe(12);
    expect(source.scaling.peakPollers).toBe(12);
    expect(source.scaling.retired).toBe(source.scaling.added);
  });

  it('adds no poller while receives find nothing', async () => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction(() => undefined);

    // Act: many scaling steps over an empty queue.
    const source = startSource({ queue, fn: consumer.fn, concurrency: 50, scaleIntervalMs: 5 });
    await sleep(200);

    // Assess
    expect(source.scaling).toMatchObject({ pollers: 2, peakPollers: 2, added: 0, retired: 0 });
  });

  it('stops receiving at once and waits for the invocations in flight', async () => {
    // Prepare
    const { queue } = await newQueue();
    const consumer = fakeFunction(() => sleep(400));
    await send(queue, ['in-flight']);
    const source = startSource({ queue, fn: consumer.fn, concurrency: 1 });
    await waitUntil('an invocation', () => consumer.events.length === 1);

    // Act
    const startedAt = Date.now();
    const finished = await source.stop(5_000);

    // Assess
    expect(finished).toBe(true);
    expect(consumer.stats.finished).toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    await sleep(1_100);
    await expect(receiveAll(client, queue.url, 0)).resolves.toEqual([]);
  });

  describe('injected faults (the fault suite)', () => {
    const faults = (options: Partial<ConstructorParameters<typeof LocalFaults>[0]>) =>
      new LocalFaults({ seed: 1, duplicateRate: 0, crashRates: {}, ...options });

    it('delivers a chosen message twice: at once to a second invocation, or again after a lost delete; each ends deleted', async () => {
      // Prepare: every message is chosen; the seed decides which way.
      const { queue } = await newQueue();
      const consumer = fakeFunction(() => sleep(100));
      await send(queue, ['a', 'b', 'c', 'd', 'e', 'f']);

      // Act
      startSource({
        queue,
        fn: consumer.fn,
        batchSize: 1,
        concurrency: 2,
        faults: { faults: faults({ duplicateRate: 1 }), functionKey: 'consumer' },
      });
      await waitUntil('two deliveries of every message', () => consumer.stats.finished >= 12 && consumer.stats.finished);
      await sleep(1_200);

      // Assess: each message twice, the second time with its receive count one higher, then gone.
      const deliveries = consumer.events
        .flatMap((event) => event.Records.map((record) => `${record.body}:${record.attributes.ApproximateReceiveCount}`))
        .sort();
      expect(deliveries).toEqual(['a', 'b', 'c', 'd', 'e', 'f'].flatMap((body) => [`${body}:1`, `${body}:2`]));
      const lines = logged.filter((line) => line.startsWith('[fault] duplicate'));
      expect(lines.join('\n')).toMatch(/concurrent=1/);
      expect(lines.join('\n')).toMatch(/later=1/);
      await expect(receiveAll(client, queue.url, 0)).resolves.toEqual([]);
    });

    it('sends a chosen message to the dead-letter queue unprocessed: the function never sees it, the queue is left empty', async () => {
      // Prepare
      const { queue, dlq } = await newQueue(5);
      const consumer = fakeFunction(() => sleep(10));
      await send(queue, ['lost']);

      // Act
      startSource({
        queue,
        fn: consumer.fn,
        concurrency: 1,
        faults: { faults: faults({ deadLetterRates: { consumer: 1 } }), functionKey: 'consumer' },
      });
      const dead = await waitUntil('the dead letter', async () => {
        const received = await receiveAll(client, dlq!.url, 0);
        return received.length > 0 && received;
      });

      // Assess
      expect(dead.map((message) => message.Body)).toEqual(['lost']);
      expect(consumer.events).toEqual([]);
      expect(logged.join('\n')).toMatch(/\[fault\] dead-letter queue=poller-\d+ messages=1/);
      await expect(receiveAll(client, queue.url, 0)).resolves.toEqual([]);
    });

    it('crashes an invocation midway once the function has shown how long it works; its messages come back', async () => {
      // Prepare
      const { queue } = await newQueue();
      const consumer = fakeFunction(() => sleep(400));
      await send(queue, ['first']);
      startSource({
        queue,
        fn: consumer.fn,
        concurrency: 1,
        faults: { faults: faults({ crashRates: { consumer: 1 } }), functionKey: 'consumer' },
      });
      await waitUntil('the first invocation', () => consumer.stats.finished === 1);

      // Act
      await send(queue, ['second']);
      await waitUntil('its redelivery', () => consumer.events.length >= 3);

      // Assess: the first ran whole (nothing known yet to time a crash by); the second crashed and came back.
      expect(consumer.events.map((event) => `${event.Records[0]!.body}:${event.Records[0]!.attributes.ApproximateReceiveCount}`)).toEqual([
        'first:1',
        'second:1',
        'second:2',
      ]);
      expect(logged.join('\n')).toMatch(/\[fault\] crash function=consumer afterMs=\d+ messages=1/);
    });
  });

  describe('from serverless.yml (startSqsEventSources)', () => {
    it('maps every sqs event of the service to its queue, with its batch settings', async () => {
      // Prepare
      const config = serviceConfig();
      const local = namedResourcesFrom(config.resources, 'us-east-1');
      const ownSqs = await startLocalSqs({ port: 0 });
      const ownClient = createLocalSqsClient(ownSqs.url);
      await createQueues(ownClient, config.resources, local);
      const forwarder = new S3NotificationForwarder({
        client: ownClient,
        notifications: queueNotificationsFrom(config.resources, local).notifications,
        region: 'us-east-1',
      });
      const s3 = await startLocalS3({ port: 0, onObjectEvent: (event) => forwarder.forward(event) });
      await s3.createBucket('inference-platform-local');
      const s3Client = s3ClientFor(s3.url);
      const consumers = new Map(config.functions.map((fn) => [fn.name, fakeFunction(() => ({ batchItemFailures: [] }))]));
      let sources: SqsEventSources | undefined;
      try {
        // Act
        sources = startSqsEventSources({
          config,
          functionFor: (key) => consumers.get(key)!.fn,
          local,
          client: ownClient,
          pollWaitSeconds: 1,
          logger,
        });
        await s3Client.send(new PutObjectCommand({ Bucket: 'inference-platform-local', Key: 'inbox/batch 1.jsonl', Body: '{}\n' }));
        const ingest = consumers.get('ingest')!;
        await waitUntil('the ingest function', () => ingest.stats.finished === 1);

        // Assess: S3 → notification → IngestQueue → ingest, as deployed.
        // ingest, worker, finalize, requests and the requests DLQ's consumer
        expect(sources.sources).toHaveLength(5);
        const [record] = ingest.events[0]!.Records;
        expect(record!.eventSourceARN).toBe(local.queues.IngestQueue!.arn);
        expect(JSON.parse(record!.body).Records[0]).toMatchObject({
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'inference-platform-local' }, object: { key: 'inbox/batch+1.jsonl' } },
        });
        expect(consumers.get('worker')!.events).toEqual([]);
      } finally {
        await sources?.stop();
        s3Client.destroy();
        await s3.close();
        await forwarder.flush();
        ownClient.destroy();
        await ownSqs.close();
      }
    });

    it("caps each source at the least of the event's maximumConcurrency, the function's reservedConcurrency and the local cap", async () => {
      // Prepare
      const config = parseServerlessConfig(`
service: svc
provider: { name: aws, timeout: 10 }
functions:
  capped:
    handler: functions/capped.handler
    reservedConcurrency: 7
    events:
      - sqs: { arn: { 'Fn::GetAtt': [Capped, Arn] }, maximumConcurrency: 3 }
  reserved:
    handler: functions/reserved.handler
    reservedConcurrency: 7
    events:
      - sqs: { arn: { 'Fn::GetAtt': [Reserved, Arn] } }
  open:
    handler: functions/open.handler
    events:
      - sqs: { arn: { 'Fn::GetAtt': [Open, Arn] } }
resources:
  Resources:
    Capped: { Type: 'AWS::SQS::Queue', Properties: { QueueName: cap-capped, VisibilityTimeout: 30 } }
    Reserved: { Type: 'AWS::SQS::Queue', Properties: { QueueName: cap-reserved, VisibilityTimeout: 30 } }
    Open: { Type: 'AWS::SQS::Queue', Properties: { QueueName: cap-open, VisibilityTimeout: 30 } }
`);
      const local: LocalResources = namedResourcesFrom(config.resources, 'us-east-1');
      await createQueues(client, config.resources, local);
      const consumer = fakeFunction(() => undefined);

      // Act
      const declared = startSqsEventSources({ config, functionFor: () => consumer.fn, local, client, logger, pollWaitSeconds: 1 });
      running.push(declared);
      const localCap = startSqsEventSources({
        config,
        functionFor: () => consumer.fn,
        local,
        client,
        logger,
        pollWaitSeconds: 1,
        concurrency: 5,
      });
      running.push(localCap);

      // Assess
      expect(declared.sources.map((source) => source.scaling.maxConcurrency)).toEqual([3, 7, 1000]);
      expect(localCap.sources.map((source) => source.scaling.maxConcurrency)).toEqual([3, 5, 5]);
    });

    it('refuses a queue whose visibility timeout is shorter than the function timeout, as Lambda does', async () => {
      // Prepare
      const config = parseServerlessConfig(`
service: svc
provider: { name: aws, timeout: 60 }
functions:
  consumer:
    handler: functions/consumer.handler
    events:
      - sqs: { arn: { 'Fn::GetAtt': [Short, Arn] } }
resources:
  Resources:
    Short: { Type: 'AWS::SQS::Queue', Properties: { QueueName: visibility-check, VisibilityTimeout: 30 } }
`);
      const local: LocalResources = namedResourcesFrom(config.resources, 'us-east-1');
      await createQueues(client, config.resources, local);
      const consumer = fakeFunction(() => undefined);

      // Act
      const act = () => startSqsEventSources({ config, functionFor: () => consumer.fn, local, client, logger });
      const lifted = startSqsEventSources({
        config,
        functionFor: () => consumer.fn,
        local,
        client,
        logger,
        pollWaitSeconds: 1,
        checkVisibilityTimeout: false,
      });
      running.push(lifted);

      // Assess
      expect(act).toThrow(
        /functions\.consumer\.events\[0\]\.sqs: queue visibility-check has a visibility timeout of 30 s, less than the function's timeout of 60 s/,
      );
      expect(lifted.sources).toHaveLength(1);
    });
  });
});

describe('reading a function response to an SQS batch', () => {
  const ids = ['m1', 'm2'];

  it.each([
    [null, true, { kind: 'success' }],
    ['', true, { kind: 'success' }],
    [{}, true, { kind: 'success' }],
    [{ batchItemFailures: [] }, true, { kind: 'success' }],
    [{ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm2' }] }, true, { kind: 'partial', failedMessageIds: ['m2'] }],
    [{ batchItemFailures: [{ itemIdentifier: 'm3' }] }, true, { kind: 'failure', reason: expect.stringContaining('"m3"') }],
    [{ batchItemFailures: [{}] }, true, { kind: 'failure', reason: expect.stringContaining('null') }],
    [{ batchItemFailures: {} }, true, { kind: 'failure', reason: 'batchItemFailures is not a list' }],
    [[1], true, { kind: 'failure', reason: expect.any(String) }],
    [{ batchItemFailures: [{ itemIdentifier: 'm1' }] }, false, { kind: 'success' }],
  ])('%j (ReportBatchItemFailures %s)', (response, report, expected) => {
    // Act & Assess
    expect(batchOutcomeOf(response, ids, report)).toEqual(expected);
  });
});
