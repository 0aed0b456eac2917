import type { SQSRecord } from 'aws-lambda';
import { createHandler as createFinalize } from '../../../functions/sqs/finalize';
import { createHandler as createIngest } from '../../../functions/sqs/ingest';
import { createHandler as createConsumer } from '../../../functions/sqs/requests';
import { createHandler as createWorker } from '../../../functions/sqs/worker';
import type { FinalizeJobDeps } from '../../../shared/batchJobs/finalize/types';
import { logger } from '../../../shared/observability/logger';
import { lambdaContext, loadEvent, s3DropNotification, sqsEvent, sqsRecord } from '../../helpers/events';
import { BUCKET, ingestWorld } from '../batchJobs/ingest/ingestFixtures';
import { chatLine, chunkMessage, createJob, JOB_ID, makeWorld, putInput } from '../batchJobs/jobWorld';
import { makeQueueWorld, replyUrl } from '../queueRequests/queueWorld';

const LINE = '{"custom_id": "r1", "method": "POST", "url": "/v1/embeddings", "body": {"model": "bge-m3", "input": "x"}}\n';

/**
 * A bad record in a batch is one batch item failure (it comes back, then lands in the DLQ),
 * logged with its message id; the batch's other records are handled as usual.
 */
describe('a bad record fails alone, in every queue consumer', () => {
  let error: jest.SpyInstance;
  beforeEach(() => {
    error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => error.mockRestore());

  const loggedMalformed = () =>
    error.mock.calls.filter(([message]) => String(message).startsWith('malformed')).map(([, fields]) => fields.messageId);

  it.each([
    ['a body that is not JSON', 'not json'],
    ['a body that is not a chunk message', '{"jobId": "batch_0001"}'],
  ])('worker: %s is a batch item failure, and the good chunk beside it runs', async (_case, body) => {
    // Prepare
    const world = makeWorld();
    const { etag, chunks } = await putInput(world, [chatLine('c1', 'x')]);
    await createJob(world, { chunksTotal: 1, total: 1, etag });
    const handler = createWorker(world.worker, 5, { delivery: { returnAfter: async (_handle, seconds) => seconds } });
    const good = sqsRecord('good', JSON.stringify(chunkMessage(chunks[0]!, etag)));

    // Act
    const response = await handler(sqsEvent(sqsRecord('bad', body), good), lambdaContext(120_000));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect((await world.jobs.get(JOB_ID))?.requestCounts.completed).toBe(1);
    expect(loggedMalformed()).toEqual(['bad']);
  });

  it('worker: a record that is not an SQS record as Lambda hands it over (no attributes) is a batch item failure', async () => {
    // Prepare
    const world = makeWorld();
    const handler = createWorker(world.worker, 5, { delivery: { returnAfter: async (_handle, seconds) => seconds } });
    const { attributes: _dropped, ...record } = sqsRecord('bad', '{}');

    // Act
    const response = await handler(sqsEvent(record as SQSRecord), lambdaContext(120_000));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(loggedMalformed()).toEqual(['bad']);
  });

  it('finalize: a body that is not a finalize message is a batch item failure, and no store is touched', async () => {
    // Prepare: every dependency throws if it is used.
    const deps = new Proxy({} as FinalizeJobDeps, {
      get: (_target, name) => {
        throw new Error(`finalize used ${String(name)} for a malformed message`);
      },
    });

    // Act
    const response = await createFinalize(deps)(sqsEvent(sqsRecord('bad', '{"chunk": 1}')), lambdaContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(loggedMalformed()).toEqual(['bad']);
  });

  it.each([
    ['a notification with no records', '{"Records": []}'],
    ['an S3 record without its bucket', JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { object: { key: 'k' } } }] })],
    ['a body that is neither a job nor a notification', '{"kind": "job"}'],
  ])('ingest: %s is a batch item failure, and the drop beside it is ingested', async (_case, body) => {
    // Prepare
    const world = ingestWorld();
    const key = 'inbox/tenant-1/f.jsonl';
    const drop = await world.drop(key, LINE);
    const good = sqsRecord('good', s3DropNotification(BUCKET, key, drop.etag));

    // Act
    const response = await createIngest(world.deps)(sqsEvent(sqsRecord('bad', body), good), lambdaContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(world.jobs.jobs.size).toBe(1);
    expect(loggedMalformed()).toEqual(['bad']);
  });

  it("ingest: S3's test event and a drop made over IPv6 are records it takes", async () => {
    // Prepare
    const world = ingestWorld();
    const key = 'inbox/tenant-1/f.jsonl';
    const drop = await world.drop(key, LINE);
    const notification = JSON.parse(s3DropNotification(BUCKET, key, drop.etag));
    notification.Records[0].requestParameters.sourceIPAddress = '2001:db8::7';
    const testEvent = { Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-11-28T09:19:00.000Z', Bucket: BUCKET };

    // Act
    const response = await createIngest(world.deps)(
      sqsEvent(sqsRecord('test', JSON.stringify(testEvent)), sqsRecord('drop', JSON.stringify(notification))),
      lambdaContext(),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(world.jobs.jobs.size).toBe(1);
  });

  it('requests: a record that is not an SQS record as Lambda hands it over fails alone; the others are answered', async () => {
    // Prepare
    const world = makeQueueWorld();
    const event = loadEvent('sqs/requests.json');
    const body = JSON.parse(event.Records[0].body);
    body.reply_to = replyUrl('billing');
    body.body.model = 'chat-a';
    const good = sqsRecord('good', JSON.stringify(body));
    const bad = { ...sqsRecord('bad', JSON.stringify(body)), eventSource: 'aws:kinesis' } as unknown as SQSRecord;

    // Act
    const response = await createConsumer(world.deps)(sqsEvent(bad, good), lambdaContext(120_000));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(world.answers.total).toBe(1);
    expect(loggedMalformed()).toEqual(['bad']);
  });
});
