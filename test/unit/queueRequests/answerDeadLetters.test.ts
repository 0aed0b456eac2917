import { answerDeadLetters, type AnswerDeadLettersDeps } from '../../../shared/queueRequests/answerDeadLetters';
import { answerQueueRequests } from '../../../shared/queueRequests/answerQueueRequests';
import { answerIdOf, idempotencyKeyOf } from '../../../shared/queueRequests/QueueRequestMessage';
import { logger } from '../../../shared/observability/logger';
import { chatMessage, embeddingMessage, makeQueueWorld, options, received, replyUrl, RESULTS_URL } from './queueWorld';

const correlation = (id: string) => ({ correlation_id: { dataType: 'String', stringValue: id } });

/** The dead-letter consumer's deps over the same in-memory world as the requests consumer's. */
function deadLetterDeps(world: ReturnType<typeof makeQueueWorld>): AnswerDeadLettersDeps {
  const { replyPolicy, idempotency, answers, async, nowSeconds } = world.deps;
  let ids = 0;
  return { replyPolicy, idempotency, answers, async, nowSeconds, maxAttempts: 3, newId: () => `dl${++ids}` };
}

const lockUntil = () => ({ lockUntil: Date.now() + 30_000 });

describe('answerDeadLetters: every dead-lettered request answered once', () => {
  afterEach(() => jest.restoreAllMocks());

  it('answers each dead letter with dead_lettered on its reply queue, in the batch output shape, with its attributes', async () => {
    // Prepare
    const world = makeQueueWorld();
    const deps = deadLetterDeps(world);
    const dead = [received(chatMessage('a-1', replyUrl('a')), { attributes: correlation('corr-a-1') }), received(embeddingMessage('b-1'))];

    // Act
    const result = await answerDeadLetters(deps, dead, lockUntil());

    // Assess
    expect(result).toEqual({ retry: [], counts: { messages: 2, answered: 2, alreadyAnswered: 0, unanswerable: 0, retried: 0 } });
    const [onA] = world.answers.queues.get(replyUrl('a'))!;
    expect(onA!.attributes).toEqual({ ...correlation('corr-a-1'), custom_id: { dataType: 'String', stringValue: 'a-1' } });
    expect(JSON.parse(onA!.body)).toEqual({
      id: answerIdOf(idempotencyKeyOf('a-1', dead[0]!)),
      custom_id: 'a-1',
      response: {
        status_code: 503,
        request_id: 'dl1',
        body: {
          error: { code: 'dead_lettered', type: 'server_error', param: null, message: expect.stringContaining('dead-letter queue') },
        },
      },
      error: null,
    });
    expect(world.answers.lines(RESULTS_URL).map((line) => line.custom_id)).toEqual(['b-1']);
    // No backend was called: a dead letter is answered, never run.
    expect(world.chat().chatCalls).toHaveLength(0);
    expect(world.embed().embedCalls).toHaveLength(0);
  });

  it('sends nothing for a request a delivery already answered, and nothing twice for two copies of a dead letter', async () => {
    // Prepare: the requests consumer answers one request; then it and a second one are dead letters, the second twice.
    const world = makeQueueWorld();
    const deps = deadLetterDeps(world);
    const answered = received(chatMessage('done', replyUrl('a')));
    await answerQueueRequests(world.deps, [answered], options());
    const other = received(chatMessage('other', replyUrl('a')));

    // Act
    const first = await answerDeadLetters(deps, [{ ...answered, messageId: 'dlq-1' }, other], lockUntil());
    const second = await answerDeadLetters(deps, [{ ...other, messageId: 'dlq-2' }], lockUntil());

    // Assess: one answer each, the first the result, the second dead_lettered.
    expect(first.counts).toMatchObject({ answered: 1, alreadyAnswered: 1 });
    expect(second.counts).toMatchObject({ answered: 0, alreadyAnswered: 1, retried: 0 });
    const lines = world.answers.lines(replyUrl('a'));
    expect(lines.map((line) => [line.custom_id, line.response.status_code])).toEqual([
      ['done', 200],
      ['other', 503],
    ]);
  });

  it('hands back a dead letter whose claim a crashed delivery still holds, and answers it once the lock expires', async () => {
    // Prepare: a delivery claimed the request and died (its lock runs until its Lambda deadline).
    const world = makeQueueWorld();
    const deps = deadLetterDeps(world);
    const dead = received(chatMessage('held', replyUrl('a')));
    const key = idempotencyKeyOf('held', dead);
    let now = 1_000_000;
    world.idempotency.now = () => now;
    await world.idempotency.claim(key, now + 60_000);

    // Act
    const held = await answerDeadLetters(deps, [dead], { lockUntil: now + 30_000 });
    const sentWhileHeld = world.answers.total;
    now += 61_000;
    const later = await answerDeadLetters(deps, [{ ...dead, receiveCount: 2 }], { lockUntil: now + 30_000 });

    // Assess
    expect(held.retry).toEqual([dead.messageId]);
    expect(sentWhileHeld).toBe(0);
    expect(later).toMatchObject({ retry: [], counts: { answered: 1 } });
    expect(world.idempotency.records.get(key)?.status).toBe('completed');
  });

  it('never gives up on a held claim, however many receives: the holder may still release it unanswered', async () => {
    // Prepare: a crashed delivery keeps the claim past the DLQ's maxAttempts receives (here 3).
    const world = makeQueueWorld();
    const deps = deadLetterDeps(world);
    const errors = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const dead = received(chatMessage('long-held', replyUrl('a')));
    const key = idempotencyKeyOf('long-held', dead);
    await world.idempotency.claim(key, Date.now() + 600_000);

    // Act: receives 1 to 5 while it is held, then its holder releases it unanswered.
    const whileHeld = [];
    for (let receiveCount = 1; receiveCount <= 5; receiveCount++)
      whileHeld.push(await answerDeadLetters(deps, [{ ...dead, receiveCount }], lockUntil()));
    await world.idempotency.release(key);
    const after = await answerDeadLetters(deps, [{ ...dead, receiveCount: 6 }], lockUntil());

    // Assess: handed back every time, never reported; answered once the claim is free.
    expect(whileHeld.map((result) => result.retry)).toEqual(Array.from({ length: 5 }, () => [dead.messageId]));
    expect(whileHeld.every((result) => result.counts.unanswerable === 0)).toBe(true);
    expect(errors).not.toHaveBeenCalled();
    expect(after).toMatchObject({ retry: [], counts: { answered: 1, unanswerable: 0 } });
    expect(world.answers.lines(replyUrl('a')).map((line) => line.custom_id)).toEqual(['long-held']);
  });

  it('fails the asynchronous request it belongs to with dead_lettered, instead of leaving it queued', async () => {
    // Prepare
    const world = makeQueueWorld();
    const deps = deadLetterDeps(world);
    await world.requests.create({
      id: 'req_1',
      tenantId: 'tenant-a',
      status: 'queued',
      url: '/v1/embeddings',
      metadata: {},
      createdAt: 1,
      expiresAt: 2,
    });
    const { reply_to: _, ...message } = embeddingMessage('req_1');

    // Act
    await answerDeadLetters(deps, [received({ ...message, async_request: { id: 'req_1', tenant_id: 'tenant-a' } })], lockUntil());

    // Assess
    expect(await world.requests.get('req_1')).toMatchObject({
      status: 'failed',
      settledAt: 1_795_000_000,
      error: { code: 'dead_lettered' },
    });
    expect(world.answers.total).toBe(0);
  });

  it('reports and acknowledges a dead letter with nowhere to answer: an ERROR line with its id, code and body', async () => {
    // Prepare
    const world = makeQueueWorld();
    const deps = deadLetterDeps(world);
    const errors = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const broken = received('{"custom_id": "broken", "url": ');
    const forbidden = received(chatMessage('steal', 'https://sqs.us-east-1.amazonaws.com/123456789012/elsewhere'));

    // Act
    const result = await answerDeadLetters(deps, [broken, forbidden], lockUntil());

    // Assess
    expect(result).toEqual({ retry: [], counts: { messages: 2, answered: 0, alreadyAnswered: 0, unanswerable: 2, retried: 0 } });
    expect(world.answers.total).toBe(0);
    expect(errors).toHaveBeenCalledWith(
      'dead letter cannot be answered; it is acknowledged and reported here',
      expect.objectContaining({ messageId: broken.messageId, code: 'invalid_json', body: broken.body }),
    );
    expect(errors).toHaveBeenCalledWith(
      'dead letter cannot be answered; it is acknowledged and reported here',
      expect.objectContaining({ messageId: forbidden.messageId, code: 'reply_to_not_allowed' }),
    );
  });

  it('hands back a dead letter whose reply queue is missing, and gives up reporting it after maxAttempts receives', async () => {
    // Prepare
    const world = makeQueueWorld();
    const deps = deadLetterDeps(world);
    const errors = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    world.answers.missing.add(replyUrl('gone'));
    const dead = received(chatMessage('lost', replyUrl('gone')));

    // Act
    const first = await answerDeadLetters(deps, [dead], lockUntil());
    const last = await answerDeadLetters(deps, [{ ...dead, receiveCount: 3 }], lockUntil());

    // Assess: handed back while tries are left (the claim released), then reported and acknowledged.
    expect(first.retry).toEqual([dead.messageId]);
    expect(last).toMatchObject({ retry: [], counts: { unanswerable: 1, answered: 0 } });
    expect(world.idempotency.records.size).toBe(0);
    expect(errors).toHaveBeenCalledWith(
      'dead letter cannot be answered; it is acknowledged and reported here',
      expect.objectContaining({ messageId: dead.messageId, code: 'answer_not_delivered' }),
    );
  });
});
