import { S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { join } from 'node:path';
import { loadServerlessConfig } from '../../../../shared/devTools/localPlatform/serverlessConfig';

/** The service's own serverless.yml, resolved for the local stage. */
export const serviceConfig = () => loadServerlessConfig({ rootDir: join(__dirname, '..', '..', '..', '..'), stage: 'local' });

/** Credentials the stand-ins accept (any are); never the developer's. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function s3ClientFor(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
}

/** One receive of up to 10 messages (not deleted: they become visible again after `visibilityTimeout`). */
export async function receiveOnce(client: SQSClient, queueUrl: string, waitSeconds = 1, visibilityTimeout?: number): Promise<Message[]> {
  const { Messages = [] } = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
      ...(visibilityTimeout !== undefined ? { VisibilityTimeout: visibilityTimeout } : {}),
    }),
  );
  return Messages;
}

/** Everything receivable from a queue now (kept invisible for a minute so nothing is counted twice). */
export async function receiveAll(client: SQSClient, queueUrl: string, waitSeconds = 1): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const received = await receiveOnce(client, queueUrl, messages.length ? 0 : waitSeconds, 60);
    if (!received.length) return messages;
    messages.push(...received);
  }
}
