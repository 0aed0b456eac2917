import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { failureOfLine } from '../../shared/domain/outputLines';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { Collector, createQueue, localSqsClient, sendPaced, type Received } from '../faults/queueTraffic';

/**
 * Dead-lettered queue requests through the local platform: every message received for the
 * requests consumer goes straight to the requests DLQ (LOCAL_DEAD_LETTER_FUNCTIONS=requests:1,
 * as if every receive had crashed), and the DLQ's consumer (requestsDeadLetters) must answer
 * each caller exactly once with `dead_lettered`, fail an asynchronous request the same way,
 * send nothing for a copy of a request already answered, and report the ones it cannot answer.
 */

const REQUESTS = 40;
const UNANSWERABLE_LOG = 'dead letter cannot be answered';

function request(sender: string, i: number, replyTo: string): SendMessageBatchRequestEntry {
  const customId = `${sender}-${i}`;
  return {
    Id: '0',
    MessageBody: JSON.stringify({
      custom_id: customId,
      url: '/v1/embeddings',
      body: { model: 'bge-m3', input: `passage ${customId}` },
      reply_to: replyTo,
    }),
    MessageAttributes: { correlation_id: { DataType: 'String', StringValue: `corr-${customId}` } },
  };
}

describe('requests that reach the requests DLQ unanswered', () => {
  let platform: LocalPlatformProcess;
  let sqs: SQSClient;

  beforeAll(async () => {
    // ERROR lines are what the last test reads; the test process's own SILENT would be inherited.
    platform = await startLocalPlatformProcess({
      LOCAL_DEAD_LETTER_FUNCTIONS: 'requests:1',
      LOCAL_FAULT_SEED: '7',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    sqs = localSqsClient(platform.sqs);
  }, 90_000);

  afterAll(async () => {
    sqs?.destroy();
    await platform?.stop();
  });

  it('answers every caller exactly once with dead_lettered, and no copy of an answered request twice', async () => {
    // Prepare: two senders with their own reply queues.
    const replyQueues = {
      alpha: await createQueue(sqs, 'inference-platform-local-reply-dlq-alpha'),
      beta: await createQueue(sqs, 'inference-platform-local-reply-dlq-beta'),
    };
    const entries = Object.entries(replyQueues).flatMap(([sender, url]) =>
      Array.from({ length: REQUESTS / 2 }, (_, i) => request(sender, i, url)),
    );
    const collector = new Collector(sqs, Object.values(replyQueues), 60_000);
    let answers: Received[];
    try {
      // Act: send them; every one is dead-lettered unprocessed.
      await sendPaced(sqs, platform.queues.RequestsQueue!, entries, 0);
      for (let i = 0; i < 120 && collector.received.length < REQUESTS; i++) await sleep(250);
      // A copy of an answered request lands in the DLQ again (an operator's redrive, say): no second answer.
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: platform.queues.RequestsDeadLetterQueue!,
          Entries: entries.slice(0, 5).map((entry, i) => ({ ...entry, Id: String(i) })),
        }),
      );
      await sleep(4_000);
      answers = await collector.stop();
    } finally {
      await collector.stop().catch(() => undefined);
    }

    // Assess: one answer per request, on its sender's queue, with its attributes, each dead_lettered.
    const ids = answers.map((answer) => String(answer.body?.custom_id));
    expect(ids.sort()).toEqual(entries.map((entry) => JSON.parse(entry.MessageBody!).custom_id).sort());
    for (const answer of answers) {
      const sender = String(answer.body.custom_id).split('-')[0] as keyof typeof replyQueues;
      expect(answer.queueUrl).toBe(replyQueues[sender]);
      expect(answer.message.MessageAttributes?.correlation_id?.StringValue).toBe(`corr-${answer.body.custom_id}`);
      expect(answer.body).toMatchObject({ id: expect.stringMatching(/^qreq_/), response: { status_code: 503 }, error: null });
      expect(failureOfLine(answer.body)).toMatchObject({ code: 'dead_lettered' });
    }
    expect(platform.output()).toContain('[fault] dead-letter queue=inference-platform-local-requests');
  }, 120_000);

  it('fails a dead-lettered asynchronous request with dead_lettered instead of leaving it queued', async () => {
    // Prepare
    const headers = { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' };

    // Act
    const created = await fetch(`${platform.api}/v1/requests`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ url: '/v1/embeddings', body: { model: 'bge-m3', input: 'never run' } }),
    });
    const { id } = (await created.json()) as { id: string };
    let state: { status?: string } = {};
    for (let i = 0; i < 80; i++) {
      state = (await (await fetch(`${platform.api}/v1/requests/${id}`, { headers })).json()) as { status?: string };
      if (state.status !== 'queued') break;
      await sleep(250);
    }

    // Assess
    expect(created.status).toBe(202);
    expect(state).toMatchObject({ id, status: 'failed', error: { code: 'dead_lettered' } });
  }, 60_000);

  it('reports a dead letter with nowhere to answer (not JSON, a forbidden reply_to) in an ERROR line', async () => {
    // Prepare
    const before = platform.output().split(UNANSWERABLE_LOG).length;

    // Act
    await sendPaced(
      sqs,
      platform.queues.RequestsQueue!,
      [
        { Id: '0', MessageBody: '{"custom_id": "broken", "url": ' },
        {
          Id: '1',
          MessageBody: JSON.stringify({
            custom_id: 'steal',
            url: '/v1/embeddings',
            body: { model: 'bge-m3', input: 'x' },
            reply_to: 'https://sqs.us-east-1.amazonaws.com/123456789012/elsewhere',
          }),
        },
      ],
      0,
    );
    for (let i = 0; i < 80 && platform.output().split(UNANSWERABLE_LOG).length < before + 2; i++) await sleep(250);

    // Assess
    const reported = platform
      .output()
      .split('\n')
      .filter((line) => line.includes(UNANSWERABLE_LOG));
    expect(reported.join('\n')).toMatch(/"code":"invalid_json".*"body":"\{\\"custom_id\\": \\"broken\\"/);
    expect(reported.join('\n')).toMatch(/"code":"reply_to_not_allowed"/);
  }, 60_000);
});
