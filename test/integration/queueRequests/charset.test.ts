import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { createHandler as createRequestsRoute } from '../../../functions/http/requests';
import { SqsMessageSender } from '../../../shared/adapters/aws/SqsMessageSender';
import { AsyncRequestService } from '../../../shared/queueRequests/AsyncRequestService';
import type { ChatCall } from '../../../shared/domain/inference';
import { answerQueueRequests } from '../../../shared/queueRequests/answerQueueRequests';
import { SqsAnswerSender } from '../../../shared/adapters/aws/SqsAnswerSender';
import type { QueueRequestMessage } from '../../../shared/queueRequests/QueueRequestMessage';
import { ReplyPolicy } from '../../../shared/queueRequests/ReplyPolicy';
import type { ReceivedMessage } from '../../../shared/sqsEvents/sqsBatchAll';
import { loadEvent, lambdaContext } from '../../helpers/events';
import { chatMessage, makeQueueWorld } from '../../unit/queueRequests/queueWorld';
import { startQueues } from './standIns';

/** Text SQS cannot carry as it is (U+FFFE, U+FFFF) next to text it can (an emoji, four bytes in UTF-8). */
const ODD = 'x\uFFFE y\uFFFF z \u{1F600}';

/**
 * The queue path with text SQS refuses raw: a request sent as the platform sends queue
 * messages (SqsMessageSender, as POST /v1/requests does), read off fauxqs (held to SQS's
 * character set), answered by the consumer, and its answer (the model's output, echoing
 * the prompt) sent to the reply queue with SqsAnswerSender.
 */
describe("queue requests holding characters outside SQS's set, over fauxqs", () => {
  let queues: Awaited<ReturnType<typeof startQueues>>;
  let requestsUrl: string;
  let replyUrl: string;

  beforeAll(async () => {
    queues = await startQueues();
    const create = async (name: string) => (await queues.client.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    [requestsUrl, replyUrl] = await Promise.all([create('svc-cs-requests'), create('svc-cs-reply-a'), create('svc-cs-results')]);
  });
  afterAll(async () => {
    await queues?.close();
  });

  it('carries U+FFFE, U+FFFF and an emoji through the request queue and back in the answer, unchanged', async () => {
    // Prepare
    const w = makeQueueWorld();
    w.deps.answers = new SqsAnswerSender(queues.client);
    w.deps.replyPolicy = new ReplyPolicy({
      resultsQueueUrl: `${queues.url}/000000000000/svc-cs-results`,
      replyQueuePrefix: 'svc-cs-reply-',
    });
    w.chat().chat = async (call: ChatCall) => ({
      content: `echo ${String(call.messages[0]!.content)}`,
      finishReason: 'stop',
      usage: { promptTokens: 3, completionTokens: 2 },
    });
    const sent = [chatMessage(`odd-${ODD}`, replyUrl, ODD), chatMessage('plain-id', replyUrl, ODD)] as QueueRequestMessage[];

    // Act
    await new SqsMessageSender<QueueRequestMessage>(queues.client, requestsUrl).send(sent);
    const delivered = await queues.drain(requestsUrl);
    const messages: ReceivedMessage[] = delivered.map((m) => ({ messageId: m.MessageId!, body: m.Body!, attributes: {}, receiveCount: 1 }));
    const outcome = await answerQueueRequests(w.deps, messages, { deadline: Date.now() + 20_000 });
    const answers = (await queues.drain(replyUrl)).map((m) => ({ line: JSON.parse(m.Body!), attributes: m.MessageAttributes ?? {} }));

    // Assess
    expect(delivered.map((m) => JSON.parse(m.Body!))).toEqual(sent);
    expect(outcome.counts).toMatchObject({ answered: 2, retried: 0 });
    const byId = new Map(answers.map((answer) => [answer.line.custom_id, answer]));
    expect([...byId.keys()].sort()).toEqual([`odd-${ODD}`, 'plain-id'].sort());
    for (const answer of answers) expect(answer.line.response.body.choices[0].message.content).toBe(`echo ${ODD}`);
    expect(byId.get('plain-id')!.attributes.custom_id?.StringValue).toBe('plain-id');
    expect(byId.get(`odd-${ODD}`)!.attributes.custom_id).toBeUndefined();
  });

  it('POST /v1/requests with U+FFFE, U+FFFF and an emoji is queued (202, not 500), and GET gives the answer back unchanged', async () => {
    // Prepare
    const w = makeQueueWorld();
    w.chat().chat = async (call: ChatCall) => ({
      content: `echo ${String(call.messages[0]!.content)}`,
      finishReason: 'stop',
      usage: { promptTokens: 3, completionTokens: 2 },
    });
    const service = new AsyncRequestService({
      requests: w.requests,
      results: w.results,
      queue: new SqsMessageSender<QueueRequestMessage>(queues.client, requestsUrl),
      router: w.router,
    });
    const route = createRequestsRoute({ service, maxBodyBytes: 1_000_000 });
    const call = async (sample: 'requestsCreate' | 'requestsRetrieve', options: { body?: unknown; id?: string }) => {
      const event = loadEvent(`http/${sample}.json`);
      event.requestContext.authorizer.lambda = { authenticated: true, tenantId: 'tenant-a', keyId: 'k' };
      if (options.body !== undefined) event.body = JSON.stringify(options.body);
      if (options.id !== undefined) event.pathParameters = { requestId: options.id };
      const response = await route(event, lambdaContext());
      return { status: response.statusCode!, body: JSON.parse(response.body!) };
    };

    // Act
    const created = await call('requestsCreate', {
      body: { url: '/v1/chat/completions', body: { model: 'chat-a', messages: [{ role: 'user', content: ODD }], max_tokens: 10 } },
    });
    const delivered = await queues.drain(requestsUrl);
    await answerQueueRequests(
      w.deps,
      delivered.map((m) => ({ messageId: m.MessageId!, body: m.Body!, attributes: {}, receiveCount: 1 })),
      { deadline: Date.now() + 20_000 },
    );
    const retrieved = await call('requestsRetrieve', { id: created.body.id });

    // Assess
    expect(created.status).toBe(202);
    expect(delivered).toHaveLength(1);
    expect(JSON.parse(delivered[0]!.Body!).body.messages[0].content).toBe(ODD);
    expect(retrieved.body).toMatchObject({ status: 'completed' });
    expect(retrieved.body.result.choices[0].message.content).toBe(`echo ${ODD}`);
  });
});
