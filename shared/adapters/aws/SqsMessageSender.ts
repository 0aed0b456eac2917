import type { SQSClient } from '@aws-sdk/client-sqs';
import type { MessageSender } from '../../domain/ports';
import { toSqsJson } from '../../sqsEvents/sqsText';
import { type ClientSource, clientOnFirstUse } from './lazyClient';

const MAX_ATTEMPTS = 5;

/**
 * Sends JSON messages to one queue, ten per SendMessageBatch. Bodies are JSON with the
 * characters SQS cannot carry escaped ({@link toSqsJson}), so any text a message holds
 * (a prompt, an S3 key) arrives as it was sent. Entries SQS refuses
 * (throttled, internal) are resent with backoff; a message that still fails is an error,
 * never silently dropped.
 *
 * The SDK's command is imported at the first send: a function that builds its client at
 * cold start has loaded the package by then, and one that rarely sends gives a loader
 * (`loadSqsClient`), so its cold start loads neither (see lazyClient.ts).
 */
export class SqsMessageSender<M> implements MessageSender<M> {
  readonly #client: () => Promise<SQSClient>;

  constructor(
    client: ClientSource<SQSClient>,
    private readonly queueUrl: string,
  ) {
    this.#client = clientOnFirstUse(client);
  }

  async send(messages: readonly M[]): Promise<void> {
    if (messages.length === 0) return;
    const [client, { SendMessageBatchCommand }] = await Promise.all([this.#client(), import('@aws-sdk/client-sqs')]);
    for (let i = 0; i < messages.length; i += 10) {
      let entries = messages.slice(i, i + 10).map((message, j) => ({ Id: String(i + j), MessageBody: toSqsJson(message) }));
      for (let attempt = 1; entries.length > 0; attempt++) {
        const { Failed = [] } = await client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
        if (Failed.length === 0) break;
        const permanent = Failed.find((failure) => failure.SenderFault);
        if (permanent || attempt >= MAX_ATTEMPTS) {
          const failure = permanent ?? Failed[0]!;
          throw new Error(`SQS refused message ${failure.Id} to ${this.queueUrl}: ${failure.Code} ${failure.Message ?? ''}`.trim());
        }
        const failedIds = new Set(Failed.map((failure) => failure.Id));
        entries = entries.filter((entry) => failedIds.has(entry.Id));
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
  }
}
