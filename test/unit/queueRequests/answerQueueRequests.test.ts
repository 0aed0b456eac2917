import { BackendRejectedError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { answerQueueRequests } from '../../../shared/queueRequests/answerQueueRequests';
import { answerIdOf, idempotencyKeyOf } from '../../../shared/queueRequests/QueueRequestMessage';
import { chatMessage, embeddingMessage, makeQueueWorld, options, received, redelivered, replyUrl, RESULTS_URL } from './queueWorld';

const correlation = (id: string) => ({ correlation_id: { dataType: 'String', stringValue: id } });

describe('answerQueueRequests: one core run, one answer each', () => {
  it('answers messages of several senders on their own queues, with their attributes, grouping work across senders', async () => {
    // Prepare: three senders, 12 messages each, alternating chat and two-input embeddings.
    const world = makeQueueWorld();
    const senders = ['a', 'b', 'c'];
    const messages = senders.flatMap((sender) =>
      Array.from({ length: 12 }, (_, i) => {
        const id = `${sender}-${i}`;
        return received(i % 2 ? chatMessage(id, replyUrl(sender)) : embeddingMessage(id, replyUrl(sender)), {
          attributes: correlation(`corr-${id}`),
        });
      }),
    );
    // Act
    const result = await answerQueueRequests(world.deps, messages, options());
    // Assess
    expect(result.retry).toEqual([]);
    expect(result.counts).toEqual({ messages: 36, answered: 36, duplicates: 0, undeliverable: 0, retried: 0 });
    for (const sender of senders) {
      const answers = world.answers.queues.get(replyUrl(sender))!;
      expect(answers.map((a) => JSON.parse(a.body).custom_id).sort()).toEqual(
        Array.from({ length: 12 }, (_, i) => `${sender}-${i}`).sort(),
      );
      for (const answer of answers) {
        const line = JSON.parse(answer.body);
        expect(answer.attributes).toEqual({
          ...correlation(`corr-${line.custom_id}`),
          custom_id: { dataType: 'String', stringValue: line.custom_id },
        });
        expect(line).toMatchObject({ id: answer.id, error: null, response: { status_code: 200 } });
      }
    }
    // 18 embeddings requests of 2 inputs went to the GPU in ONE call; answers left ten per SendMessageBatch.
    expect(world.embed().embedCalls.map((call) => call.inputs.length)).toEqual([36]);
    expect(world.chat().chatCalls).toHaveLength(18);
    expect(world.answers.calls.map((call) => call.ids.length).sort((x, y) => x - y)).toEqual([2, 2, 2, 10, 10, 10]);
  });

  it('answers in the OpenAI batch output shape: chat.completion and embeddings list bodies', async () => {
    const world = makeQueueWorld();
    await answerQueueRequests(world.deps, [received(chatMessage('c')), received(embeddingMessage('e', undefined, 'one'))], options());
    const [chat, embedding] = world.answers.lines(RESULTS_URL).sort((x, y) => x.custom_id.localeCompare(y.custom_id));
    expect(chat).toEqual({
      id: expect.stringMatching(/^qreq_[0-9a-f]{32}$/),
      custom_id: 'c',
      error: null,
      response: {
        status_code: 200,
        request_id: expect.any(String),
        body: expect.objectContaining({ object: 'chat.completion', model: 'chat-a', created: 1_795_000_000 }),
      },
    });
    expect(embedding.response.body).toMatchObject({ object: 'list', model: 'embed-b', data: [{ object: 'embedding', index: 0 }] });
  });
});

describe('answerQueueRequests: exactly once', () => {
  it('sends nothing for a redelivered message already answered, and acknowledges it', async () => {
    // Prepare
    const world = makeQueueWorld();
    const messages = [received(chatMessage('c-1', replyUrl('a'))), received(embeddingMessage('e-1', replyUrl('a')))];
    await answerQueueRequests(world.deps, messages, options());
    const callsBefore = world.chat().chatCalls.length + world.embed().embedCalls.length;
    // Act
    const again = await answerQueueRequests(world.deps, messages.map(redelivered), options());
    // Assess
    expect(again.retry).toEqual([]);
    expect(again.counts).toMatchObject({ answered: 0, duplicates: 2 });
    expect(world.answers.total).toBe(2);
    expect(world.chat().chatCalls.length + world.embed().embedCalls.length).toBe(callsBefore);
  });

  it('treats a second send of the same message (same custom_id, content and attributes) as a copy', async () => {
    const world = makeQueueWorld();
    await answerQueueRequests(world.deps, [received(chatMessage('c-1'), { attributes: correlation('k') })], options());
    const resend = await answerQueueRequests(world.deps, [received(chatMessage('c-1'), { attributes: correlation('k') })], options());
    const other = await answerQueueRequests(world.deps, [received(chatMessage('c-1'), { attributes: correlation('k2') })], options());
    expect(resend.counts.duplicates).toBe(1);
    expect(other.counts.answered).toBe(1);
    expect(world.answers.total).toBe(2);
  });

  it('answers one of two copies in one batch; the other comes back and is then acknowledged', async () => {
    const world = makeQueueWorld();
    const first = received(chatMessage('c-1'));
    const copy = { ...first, messageId: 'm-copy' };
    const run = await answerQueueRequests(world.deps, [first, copy], options());
    expect(run.retry).toEqual(['m-copy']);
    const later = await answerQueueRequests(world.deps, [redelivered(copy)], options());
    expect(later).toMatchObject({ retry: [], counts: { duplicates: 1 } });
    expect(world.answers.total).toBe(1);
  });

  it('hands back a message whose claim another live delivery holds, and answers it once that lock expires', async () => {
    // Prepare: a delivery claimed the message and died before sending (its lock runs to its deadline).
    const world = makeQueueWorld();
    const message = received(chatMessage('c-1'));
    const key = idempotencyKeyOf('c-1', message);
    await world.idempotency.claim(key, Date.now() + 60_000);
    // Act
    const locked = await answerQueueRequests(world.deps, [redelivered(message)], options());
    world.idempotency.now = () => Date.now() + 120_000;
    const afterExpiry = await answerQueueRequests(world.deps, [redelivered(redelivered(message))], options());
    // Assess
    expect(locked.retry).toEqual([message.messageId]);
    expect(afterExpiry.retry).toEqual([]);
    expect(world.answers.lines(RESULTS_URL).map((line) => line.id)).toEqual([answerIdOf(key)]);
  });

  it('acknowledges a message whose answer went out even if recording it fails, rather than answer twice', async () => {
    const world = makeQueueWorld();
    world.idempotency.failComplete = true;
    const run = await answerQueueRequests(world.deps, [received(chatMessage('c-1'))], options());
    expect(run.retry).toEqual([]);
    expect(world.answers.total).toBe(1);
  });

  it('the remaining window: a crash between the send and its record answers a copy again after the lock, under the same answer id', async () => {
    // Prepare: the first delivery sent its answer, then died before recording it (completion lost, lock left).
    const world = makeQueueWorld();
    const message = received(chatMessage('c-1'));
    world.idempotency.complete = async () => {
      throw new Error('process died');
    };
    await answerQueueRequests(world.deps, [message], { deadline: Date.now() + 30_000, lockUntil: Date.now() + 60_000 });
    // Act: the message comes back after the visibility timeout, which is longer than the lock.
    world.idempotency.now = () => Date.now() + 120_000;
    await answerQueueRequests(world.deps, [redelivered(message)], options());
    // Assess: two copies, one id: a receiver keeps the first answer per id.
    const ids = world.answers.lines(RESULTS_URL).map((line) => line.id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
  });
});

describe('answerQueueRequests: failures', () => {
  it('hands back requests whose backend is down after the core retries, releasing their claims and sending nothing', async () => {
    // Prepare
    const world = makeQueueWorld();
    await answerQueueRequests(world.deps, [received(embeddingMessage('warm-up'))], options());
    world.embed().failWith = new BackendUnavailableError('GPU pool down', { backendId: 'gpu-embed' });
    const messages = [received(embeddingMessage('e-1', replyUrl('a'))), received(chatMessage('c-1', replyUrl('a')))];
    // Act
    const result = await answerQueueRequests(world.deps, messages, options());
    // Assess: only the embeddings request failed; its claim is free for the redelivery.
    expect(result.retry).toEqual([messages[0]!.messageId]);
    expect(world.answers.lines(replyUrl('a')).map((line) => line.custom_id)).toEqual(['c-1']);
    expect(world.idempotency.records.has(idempotencyKeyOf('e-1', messages[0]!))).toBe(false);
    // Act: the backend is back for the redelivery.
    world.embed().failWith = undefined;
    const retried = await answerQueueRequests(world.deps, [redelivered(messages[0]!)], options());
    expect(retried.retry).toEqual([]);
    expect(world.answers.lines(replyUrl('a')).map((line) => line.custom_id)).toEqual(['c-1', 'e-1']);
  });

  it('answers with the error on the last delivery the queue will make, rather than let the request reach the DLQ unanswered', async () => {
    const world = makeQueueWorld();
    await answerQueueRequests(world.deps, [received(embeddingMessage('warm-up'))], options());
    world.embed().failWith = new BackendUnavailableError('GPU pool down', { backendId: 'gpu-embed' });
    const result = await answerQueueRequests(
      world.deps,
      [received(embeddingMessage('e-1', replyUrl('a')), { receiveCount: 3 })],
      options(),
    );
    expect(result.retry).toEqual([]);
    expect(world.answers.lines(replyUrl('a'))).toEqual([
      expect.objectContaining({
        custom_id: 'e-1',
        response: {
          status_code: 503,
          request_id: expect.any(String),
          body: {
            error: {
              code: 'backend_unavailable',
              message: "input[0]: The model 'embed-b' is unavailable right now; try again.",
              type: 'server_error',
              param: null,
            },
          },
        },
        error: null,
      }),
    ]);
  });

  it('answers a request the backend rejects as invalid with the error at once (retrying cannot help)', async () => {
    const world = makeQueueWorld();
    await answerQueueRequests(world.deps, [received(chatMessage('warm-up'))], options());
    world.chat().failWith = new BackendRejectedError('The model refused this input.', { backendId: 'gpu' });
    const result = await answerQueueRequests(world.deps, [received(chatMessage('c-1'))], options());
    expect(result.retry).toEqual([]);
    const answer = world.answers.lines(RESULTS_URL).find((line) => line.custom_id === 'c-1');
    expect(answer).toMatchObject({ response: { status_code: 400, body: { error: { code: 'backend_rejected_request' } } }, error: null });
  });

  it('hands back work the deadline left undone, and answers deadline_exceeded on the last delivery', async () => {
    const world = makeQueueWorld();
    const message = received(chatMessage('c-1'));
    const early = await answerQueueRequests(world.deps, [message], { deadline: Date.now() - 1 });
    const last = await answerQueueRequests(world.deps, [{ ...message, receiveCount: 3 }], { deadline: Date.now() - 1 });
    expect(early.retry).toEqual([message.messageId]);
    expect(last.retry).toEqual([]);
    expect(world.answers.lines(RESULTS_URL)).toEqual([
      expect.objectContaining({ error: expect.objectContaining({ code: 'deadline_exceeded' }) }),
    ]);
  });

  it('answers a refused request with an error on its reply queue, with its attributes, without a backend call', async () => {
    const world = makeQueueWorld();
    const body = { ...chatMessage('bad', replyUrl('a')), body: { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] } };
    const result = await answerQueueRequests(world.deps, [received(body, { attributes: correlation('k-bad') })], options());
    expect(result.retry).toEqual([]);
    const [answer] = world.answers.queues.get(replyUrl('a'))!;
    expect(JSON.parse(answer!.body)).toMatchObject({
      custom_id: 'bad',
      response: { status_code: 404, body: { error: { code: 'model_not_found', param: 'model' } } },
      error: null,
    });
    expect(answer!.attributes.correlation_id).toEqual(correlation('k-bad').correlation_id);
    expect(world.providers.size === 0 || world.chat().chatCalls.length === 0).toBe(true);
  });

  it('never sends anything for a message it may not answer: it is handed back on every delivery (to the DLQ)', async () => {
    const world = makeQueueWorld();
    const forbidden = received({ ...chatMessage('x'), reply_to: 'https://sqs.us-east-1.amazonaws.com/999999999999/attacker' });
    const notJson = received('not json at all');
    for (let receive = 1; receive <= 3; receive++) {
      const result = await answerQueueRequests(
        world.deps,
        [
          { ...forbidden, receiveCount: receive },
          { ...notJson, receiveCount: receive },
        ],
        options(),
      );
      expect(result.retry.sort()).toEqual([forbidden.messageId, notJson.messageId].sort());
    }
    expect(world.answers.calls).toEqual([]);
    expect(world.idempotency.records.size).toBe(0);
  });

  it('hands back the requests whose reply queue does not exist, and answers them once it does', async () => {
    const world = makeQueueWorld();
    world.answers.missing.add(replyUrl('gone'));
    const lost = received(chatMessage('c-1', replyUrl('gone')));
    const fine = received(chatMessage('c-2', replyUrl('a')));
    const result = await answerQueueRequests(world.deps, [lost, fine], options());
    expect(result.retry).toEqual([lost.messageId]);
    world.answers.missing.clear();
    await answerQueueRequests(world.deps, [redelivered(lost)], options());
    expect(world.answers.lines(replyUrl('gone')).map((line) => line.custom_id)).toEqual(['c-1']);
    expect(world.answers.lines(replyUrl('a')).map((line) => line.custom_id)).toEqual(['c-2']);
  });

  it('hands back only the entries SQS failed in a batch', async () => {
    const world = makeQueueWorld();
    const messages = [received(chatMessage('c-1')), received(chatMessage('c-2'))];
    world.answers.refuse.add(answerIdOf(idempotencyKeyOf('c-2', messages[1]!)));
    const result = await answerQueueRequests(world.deps, messages, options());
    expect(result.retry).toEqual([messages[1]!.messageId]);
    expect(world.answers.lines(RESULTS_URL).map((line) => line.custom_id)).toEqual(['c-1']);
  });
});
