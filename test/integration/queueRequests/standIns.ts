import { createLocalSqsClient, startLocalSqs } from '../../../shared/devTools/localPlatform/sqs';

/** fauxqs on 127.0.0.1, and a client for it. */
export async function startQueues() {
  const sqs = await startLocalSqs({ port: 0 });
  const client = createLocalSqsClient(sqs.url);
  return {
    url: sqs.url,
    client,
    close: async () => {
      client.destroy();
      await sqs.close();
    },
  };
}
