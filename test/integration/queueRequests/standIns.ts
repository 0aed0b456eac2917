import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { createLocalSqsClient, startLocalSqs } from '../../../shared/devTools/localPlatform/sqs';

/** fauxqs on 127.0.0.1, and a client for it. */
export async function startQueues() {
  const sqs = await startLocalSqs({ port: 0 });
  const client = createLocalSqsClient(sqs.url);
  return {
    url: sqs.url,
    client,
    /** Everything waiting on a queue (with its attributes and system attributes), removed from it. */
    drain: async (queueUrl: string): Promise<Message[]> => {
      const all: Message[] = [];
      for (;;) {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
        );
        if (Messages.length === 0) return all;
        all.push(...Messages);
        await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Messages.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle! })),
          }),
        );
      }
    },
    close: async () => {
      client.destroy();
      await sqs.close();
    },
  };
}
