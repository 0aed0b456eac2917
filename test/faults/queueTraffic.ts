import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * SQS traffic of the fault suite: senders of queue requests, a collector that reads and
 * deletes everything arriving on a set of queues, and the depth of queues. Every loop is
 * bounded in time.
 */

/** An SQS client for the local platform's SQS stand-in. */
export const localSqsClient = (endpoint: string) =>
  new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

/** Creates a queue (or finds it) and returns its URL. */
export const createQueue = async (sqs: SQSClient, name: string) => (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;

/** A message as received: where from, and its body parsed when it is JSON. */
export interface Received {
  queueUrl: string;
  message: Message;
  body: any;
}

const parse = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

/**
 * Sends entries ten per SendMessageBatch, pausing `pauseMs` between batches, so that the
 * requests keep arriving while the faults happen. Fails on any entry SQS refused.
 */
export async function sendPaced(
  sqs: SQSClient,
  queueUrl: string,
  entries: readonly SendMessageBatchRequestEntry[],
  pauseMs: number,
): Promise<void> {
  for (let start = 0; start < entries.length; start += 10) {
    const Entries = entries.slice(start, start + 10).map((entry, index) => ({ ...entry, Id: String(index) }));
    const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries }));
    if (Failed.length) throw new Error(`SendMessageBatch refused ${Failed.length} entries: ${JSON.stringify(Failed[0])}`);
    if (pauseMs > 0) await sleep(pauseMs);
  }
}

/**
 * Reads and deletes every message arriving on `queueUrls` until `stop()` is called (or
 * `timeoutMs` passed), keeping each one, duplicates included: counting them is the point.
 */
export class Collector {
  readonly received: Received[] = [];
  private stopping = false;
  private readonly loops: Promise<void>[];

  constructor(
    private readonly sqs: SQSClient,
    queueUrls: readonly string[],
    timeoutMs: number,
  ) {
    const until = Date.now() + timeoutMs;
    this.loops = queueUrls.map((queueUrl) => this.loop(queueUrl, until));
  }

  /** Stops after the receives in flight, which are kept. */
  async stop(): Promise<Received[]> {
    this.stopping = true;
    await Promise.all(this.loops);
    return this.received;
  }

  private async loop(queueUrl: string, until: number): Promise<void> {
    let failures = 0;
    while (!this.stopping && Date.now() < until) {
      try {
        this.received.push(...(await receiveAndDelete(this.sqs, queueUrl, 1)));
        failures = 0;
      } catch (error) {
        // A receive that failed lost nothing (undeleted messages come back); many in a row mean SQS is gone.
        if (++failures >= 5) throw error;
        await sleep(200);
      }
    }
  }
}

/** One receive of up to ten messages (long-polling `waitSeconds`), deleted once read. */
export async function receiveAndDelete(sqs: SQSClient, queueUrl: string, waitSeconds: number): Promise<Received[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  if (Messages.length) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return Messages.map((message) => ({ queueUrl, message, body: parse(message.Body ?? '') }));
}

/**
 * Everything in a queue nobody else reads (a dead-letter queue): receives until two
 * receives in a row come back empty, at most `maxReceives` times.
 */
export async function drainQueue(sqs: SQSClient, queueUrl: string, maxReceives = 500): Promise<Received[]> {
  const all: Received[] = [];
  let empty = 0;
  for (let i = 0; i < maxReceives && empty < 2; i++) {
    const messages = await receiveAndDelete(sqs, queueUrl, 0);
    empty = messages.length ? 0 : empty + 1;
    all.push(...messages);
  }
  return all;
}

/** Messages in a queue, visible, in flight or delayed. */
export async function depthOf(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}
