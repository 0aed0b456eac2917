import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../../shared/aws/clients';
import { createLocalDynamoDbClient, createTables, startLocalDynamoDb } from '../../../shared/local/dynamodb';
import { loadServerlessConfig } from '../../../shared/local/serverlessConfig';
import { createLocalSqsClient, startLocalSqs } from '../../../shared/local/sqs';

/**
 * dynalite on 127.0.0.1 with the platform table from serverless.yml, like
 * test/helpers/localDynamoDb.ts, but handing out the plain DynamoDB client too: Powertools'
 * persistence layer takes a DynamoDBClient, not the document client.
 */
export async function startTable() {
  const server = await startLocalDynamoDb({ port: 0 });
  const config = loadServerlessConfig({ rootDir: join(__dirname, '..', '..', '..'), stage: 'test' });
  const client: DynamoDBClient = createLocalDynamoDbClient(server.url);
  const [tableName] = await createTables(client, config.resources);
  return {
    tableName: tableName!,
    client,
    documentClient: createDocumentClient(client),
    close: async () => { client.destroy(); await server.close(); },
  };
}

/** fauxqs on 127.0.0.1, and a client for it. */
export async function startQueues() {
  const sqs = await startLocalSqs({ port: 0 });
  const client = createLocalSqsClient(sqs.url);
  return { url: sqs.url, client, close: async () => { client.destroy(); await sqs.close(); } };
}
