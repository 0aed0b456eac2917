import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { answerQueueRequests } from '../../../shared/queueRequests/answerQueueRequests';
import { PowertoolsIdempotencyStore } from '../../../shared/adapters/aws/PowertoolsIdempotencyStore';
import { SqsAnswerSender } from '../../../shared/adapters/aws/SqsAnswerSender';
import { idempotencyKeyOf } from '../../../shared/queueRequests/QueueRequestMessage';
import { ReplyPolicy } from '../../../shared/queueRequests/ReplyPolicy';
import type { ReceivedMessage } from '../../../shared/sqsEvents/sqsBatchAll';
import { chatMessage, embeddingMessage, makeQueueWorld, received, redelivered } from '../../unit/queueRequests/queueWorld';
import { startTestTable } from '../../helpers/localDynamoDb';
import { startQueues } from './standIns';

/**
 * The consumer over the real stores: idempotency records in dynalite through Powertools'
 * persistence layer, answers through SendMessageBatch to fauxqs. Deliveries are replayed
 * by hand, as SQS would replay them after a crash or a lost delete.
 */
describe('queue entry redelivery over dynalite and fauxqs', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let queues: Awaited<ReturnType<typeof startQueues>>;
  let replyA: string;
  let replyB: string;

  beforeAll(async () => {
    [table, queues] = await Promise.all([startTestTable(), startQueues()]);
    const create = async (name: string) => (await queues.client.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    await create('svc-it-results');
    [replyA, replyB] = await Promise.all([create('svc-it-reply-a'), create('svc-it-reply-b')]);
  });
  afterAll(async () => {
    await Promise.all([table?.close(), queues?.close()]);
  });

  /** The in-memory world with its stores replaced by the real adapters. */
  function world() {
    const w = makeQueueWorld();
    w.deps.idempotency = new PowertoolsIdempotencyStore({ tableName: table.tableName, client: table.client });
    w.deps.answers = new SqsAnswerSender(queues.client);
    w.deps.replyPolicy = new ReplyPolicy({
      resultsQueueUrl: `${queues.url}/000000000000/svc-it-results`,
      replyQueuePrefix: 'svc-it-reply-',
    });
    return w;
  }

  const batch = (prefix: string): ReceivedMessage[] =>
    Array.from({ length: 30 }, (_, i) =>
      received(
        i % 3 ? chatMessage(`${prefix}-${i}`, i % 2 ? replyA : replyB) : embeddingMessage(`${prefix}-${i}`, i % 2 ? replyA : replyB),
        { attributes: { correlation_id: { dataType: 'String', stringValue: `corr-${prefix}-${i}` } } },
      ),
    );

  it('answers a batch once, and sends nothing when the whole batch is delivered again', async () => {
    // Prepare
    const w = world();
    const messages = batch('again');
    // Act
    const first = await answerQueueRequests(w.deps, messages, { deadline: Date.now() + 20_000 });
    const second = await answerQueueRequests(w.deps, messages.map(redelivered), { deadline: Date.now() + 20_000 });
    // Assess
    expect(first.counts).toMatchObject({ answered: 30, retried: 0 });
    expect(second.counts).toMatchObject({ answered: 0, duplicates: 30, retried: 0 });
    const answers = [...(await queues.drain(replyA)), ...(await queues.drain(replyB))];
    expect(answers).toHaveLength(30);
    expect(new Set(answers.map((m) => JSON.parse(m.Body!).custom_id)).size).toBe(30);
    for (const answer of answers) {
      const line = JSON.parse(answer.Body!);
      expect(answer.MessageAttributes).toEqual({
        correlation_id: expect.objectContaining({ DataType: 'String', StringValue: `corr-${line.custom_id}` }),
        custom_id: expect.objectContaining({ DataType: 'String', StringValue: line.custom_id }),
      });
    }
  });

  it('answers each request once when two deliveries of the same batch run at the same time', async () => {
    const w = world();
    const messages = batch('twin');
    const [one, two] = await Promise.all([
      answerQueueRequests(w.deps, messages, { deadline: Date.now() + 20_000 }),
      answerQueueRequests(w.deps, messages.map(redelivered), { deadline: Date.now() + 20_000 }),
    ]);
    // Every message was answered by exactly one of them; the other handed it back (or saw it done).
    expect(one.counts.answered + two.counts.answered).toBe(30);
    const answers = [...(await queues.drain(replyA)), ...(await queues.drain(replyB))];
    expect(answers).toHaveLength(30);
    // The copies handed back are acknowledged on their next delivery, without an answer.
    const handedBack = messages.filter((m) => one.retry.includes(m.messageId) || two.retry.includes(m.messageId));
    const later = await answerQueueRequests(
      w.deps,
      handedBack.map((m) => redelivered(redelivered(m))),
      { deadline: Date.now() + 20_000 },
    );
    expect(later.counts).toMatchObject({ answered: 0, duplicates: handedBack.length });
    expect([...(await queues.drain(replyA)), ...(await queues.drain(replyB))]).toEqual([]);
  });

  it('answers once after a delivery died between claiming and sending, once its lock has expired', async () => {
    // Prepare: the dead delivery's claims, locked for one more second.
    const w = world();
    const messages = batch('crash').slice(0, 5);
    await Promise.all(messages.map((m) => w.deps.idempotency.claim(idempotencyKeyOf(JSON.parse(m.body).custom_id, m), Date.now() + 1_000)));
    // Act
    const whileLocked = await answerQueueRequests(w.deps, messages.map(redelivered), { deadline: Date.now() + 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const afterLock = await answerQueueRequests(
      w.deps,
      messages.map((m) => redelivered(redelivered(m))),
      { deadline: Date.now() + 20_000 },
    );
    // Assess
    expect(whileLocked.retry).toHaveLength(5);
    expect(afterLock.counts).toMatchObject({ answered: 5, retried: 0 });
    expect([...(await queues.drain(replyA)), ...(await queues.drain(replyB))]).toHaveLength(5);
  });

  it('hands back a request whose reply queue does not exist, releasing it, and answers it once the queue exists', async () => {
    const w = world();
    const missing = `${queues.url}/000000000000/svc-it-reply-later`;
    const message = received(chatMessage('later-1', missing));
    const first = await answerQueueRequests(w.deps, [message], { deadline: Date.now() + 20_000 });
    expect(first.retry).toEqual([message.messageId]);
    await queues.client.send(new CreateQueueCommand({ QueueName: 'svc-it-reply-later' }));
    const second = await answerQueueRequests(w.deps, [redelivered(message)], { deadline: Date.now() + 20_000 });
    expect(second.retry).toEqual([]);
    expect((await queues.drain(missing)).map((m) => JSON.parse(m.Body!).custom_id)).toEqual(['later-1']);
  });
});
