import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../shared/adapters/aws/clients';
import { createLocalDynamoDbClient, createTables, startLocalDynamoDb } from '../../shared/devTools/localPlatform/dynamodb';
import { loadServerlessConfig, type CloudFormationResource } from '../../shared/devTools/localPlatform/serverlessConfig';

/**
 * A DynamoDB-API server the tests did not start (DynamoDB Local, run by
 * `scripts/dynamodb-local-conformance.sh`). Unset: dynalite, started in process.
 */
const ENDPOINT_VAR = 'DYNAMODB_TEST_ENDPOINT';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The platform table created from serverless.yml, as `npm start` creates it: on dynalite
 * on a free port on 127.0.0.1 by default, or, when `DYNAMODB_TEST_ENDPOINT` is set, on that
 * server under a name of its own (test files run side by side there), deleted on close.
 */
export async function startTestTable() {
  const config = loadServerlessConfig({ rootDir: join(__dirname, '..', '..'), stage: 'test' });
  const endpoint = process.env[ENDPOINT_VAR];
  if (endpoint) return onSharedServer(endpoint, config.resources);
  const server = await startLocalDynamoDb({ port: 0 });
  const client = createLocalDynamoDbClient(server.url);
  const [tableName] = await createTables(client, config.resources);
  return {
    tableName: tableName!,
    /** The server's URL, for a process of its own (`AWS_ENDPOINT_URL_DYNAMODB`). */
    endpoint: server.url,
    // The plain client too: Powertools' persistence layer takes a DynamoDBClient, not the document client.
    client,
    documentClient: createDocumentClient(client),
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}

async function onSharedServer(endpoint: string, resources: Record<string, CloudFormationResource>) {
  // Dummy credentials go to this endpoint: only ever a server on this machine.
  if (!LOOPBACK_HOSTS.has(new URL(endpoint).hostname)) throw new Error(`${ENDPOINT_VAR} must be a loopback URL, got ${endpoint}`);
  const client = createLocalDynamoDbClient(endpoint);
  const suffix = randomUUID().slice(0, 8);
  const renamed = Object.fromEntries(
    Object.entries(resources).map(([logicalId, resource]) => [
      logicalId,
      resource.Type === 'AWS::DynamoDB::Table'
        ? {
            ...resource,
            Properties: { ...resource.Properties, TableName: `${String(resource.Properties?.TableName ?? logicalId)}-${suffix}` },
          }
        : resource,
    ]),
  );
  const [tableName] = await createTables(client, renamed);
  return {
    tableName: tableName!,
    endpoint,
    client,
    documentClient: createDocumentClient(client),
    close: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName! }));
      client.destroy();
    },
  };
}
