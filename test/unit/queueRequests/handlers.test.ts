import type { SQSEvent } from 'aws-lambda';
import { createHandler as createConsumer } from '../../../functions/sqs/requests';
import { createHandler as createDeadLetterConsumer } from '../../../functions/sqs/requestsDeadLetters';
import { sqsBatchAll } from '../../../shared/sqsEvents/sqsBatchAll';
import { loadEvent, lambdaContext } from '../../helpers/events';
import { makeQueueWorld, replyUrl, RESULTS_URL } from './queueWorld';

/** The sample event, its requests pointed at the test world's queues and models. */
function sampleEvent(): SQSEvent {
  const event = loadEvent<SQSEvent>('sqs/requests.json');
  const bodies = event.Records.map((record) => JSON.parse(record.body));
  bodies[0].reply_to = replyUrl('billing');
  bodies[0].body.model = 'chat-a';
  bodies[0].body.max_tokens = 10;
  bodies[1].body.model = 'embed-b';
  event.Records.forEach((record, i) => {
    record.body = JSON.stringify(bodies[i]);
  });
  return event;
}

describe('requests consumer handler', () => {
  it('answers the sample batch and reports only the message with a forbidden reply_to as a batch item failure', async () => {
    // Prepare
    const world = makeQueueWorld();
    const event = sampleEvent();
    // Act
    const response = await createConsumer(world.deps)(event, lambdaContext(120_000));
    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[2]!.messageId }] });
    const [billing] = world.answers.queues.get(replyUrl('billing'))!;
    expect(JSON.parse(billing!.body)).toMatchObject({ custom_id: 'invoice-4711-summary', response: { status_code: 200 } });
    expect(billing!.attributes).toEqual({
      correlation_id: { dataType: 'String', stringValue: 'billing-7f3a' },
      custom_id: { dataType: 'String', stringValue: 'invoice-4711-summary' },
    });
    expect(world.answers.lines(RESULTS_URL).map((line) => line.custom_id)).toEqual(['doc-88-embedding']);
    expect(world.answers.total).toBe(2);
  });

  it('acknowledges the same batch delivered again without a second answer', async () => {
    const world = makeQueueWorld();
    const handler = createConsumer(world.deps);
    await handler(sampleEvent(), lambdaContext(120_000));
    const again = sampleEvent();
    again.Records.forEach((record) => {
      record.attributes.ApproximateReceiveCount = '2';
    });
    const response = await handler(again, lambdaContext(120_000));
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([again.Records[2]!.messageId]);
    expect(world.answers.total).toBe(2);
  });

  it('stores the answer of an asynchronous request instead of sending it', async () => {
    // Prepare
    const world = makeQueueWorld();
    const event = loadEvent<SQSEvent>('sqs/requestsAsync.json');
    const body = JSON.parse(event.Records[0]!.body);
    body.body.model = 'chat-a';
    event.Records[0]!.body = JSON.stringify(body);
    await world.requests.create({
      id: body.async_request.id,
      tenantId: 'local',
      status: 'queued',
      url: '/v1/chat/completions',
      metadata: {},
      createdAt: 1,
      expiresAt: 2,
    });
    // Act
    const response = await createConsumer(world.deps)(event, lambdaContext(120_000));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(world.answers.total).toBe(0);
    const stored = world.requests.requests.get(body.async_request.id)!;
    expect(stored).toMatchObject({ status: 'completed', settledAt: 1_795_000_000 });
    expect(JSON.parse(stored.resultJson!)).toMatchObject({ object: 'chat.completion', model: 'chat-a' });
  });
});

describe('sqsBatchAll', () => {
  const event = () => loadEvent<SQSEvent>('sqs/requests.json');

  it('hands the whole batch over as received messages, with attributes and receive counts', async () => {
    const seen: unknown[] = [];
    await sqsBatchAll(async (messages) => {
      seen.push(...messages);
      return [];
    })(event(), lambdaContext());
    expect(seen).toHaveLength(3);
    expect(seen[0]).toEqual({
      messageId: '0c9a6a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f',
      body: expect.stringContaining('invoice-4711-summary'),
      attributes: { correlation_id: { dataType: 'String', stringValue: 'billing-7f3a' } },
      receiveCount: 1,
    });
    expect((seen[2] as { receiveCount: number }).receiveCount).toBe(2);
  });

  it('reports every message failed when the handler throws, and never an id outside the batch', async () => {
    const failing = await sqsBatchAll(async () => {
      throw new Error('bug');
    })(event(), lambdaContext());
    expect(failing.batchItemFailures).toHaveLength(3);
    const odd = await sqsBatchAll(async (messages) => [messages[1]!.messageId, 'not-in-batch', messages[1]!.messageId])(
      event(),
      lambdaContext(),
    );
    expect(odd.batchItemFailures).toEqual([{ itemIdentifier: '1d0b7b4f-2e3c-4d6e-9fa0-1b2c3d4e5f60' }]);
  });
});

describe('requests DLQ consumer handler', () => {
  it('answers the sample batch as dead letters, and reports the one whose reply queue is missing as a batch item failure', async () => {
    // Prepare: the billing reply queue does not exist (yet).
    const world = makeQueueWorld();
    world.answers.missing.add(replyUrl('billing'));
    const event = sampleEvent();
    const { replyPolicy, idempotency, answers, async, nowSeconds } = world.deps;
    const handler = createDeadLetterConsumer({ replyPolicy, idempotency, answers, async, nowSeconds, maxAttempts: 10 });

    // Act
    const response = await handler(event, lambdaContext(30_000));

    // Assess: the results-queue request answered dead_lettered; the forbidden reply_to reported and acknowledged.
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
    expect(world.answers.lines(RESULTS_URL)).toMatchObject([
      { custom_id: 'doc-88-embedding', response: { status_code: 503, body: { error: { code: 'dead_lettered' } } } },
    ]);
    expect(world.answers.total).toBe(1);
  });
});
