import { join } from 'node:path';
import { createDocumentClient } from '../../shared/aws/clients';
import { createLocalDynamoDbClient, createTables, startLocalDynamoDb } from '../../shared/local/dynamodb';
import { loadServerlessConfig } from '../../shared/local/serverlessConfig';

/**
 * dynalite on a free port on 127.0.0.1 with the platform table created from
 * serverless.yml, as `npm start` creates it.
 */
export async function startTestTable() {
  const server = await startLocalDynamoDb({ port: 0 });
  const config = loadServerlessConfig({ rootDir: join(__dirname, '..', '..'), stage: 'test' });
  const client = createLocalDynamoDbClient(server.url);
  const [tableName] = await createTables(client, config.resources);
  return { tableName: tableName!, documentClient: createDocumentClient(client), close: () => server.close() };
}
