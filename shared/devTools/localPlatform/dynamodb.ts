import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { ServerlessConfigError } from './errors';
import { LOOPBACK, closeServer, listenOnLoopback } from './listenOnLoopback';
import type { CloudFormationResource } from './serverlessConfig';

/** A running DynamoDB-API server (dynalite, in this process, in memory). */
export interface LocalDynamoDb {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Options of {@link startLocalDynamoDb}. */
export interface LocalDynamoDbOptions {
  /** Port on 127.0.0.1; 0 picks a free one. Default 8000. */
  port?: number;
  /** LevelDB directory to keep data across runs; in memory when absent. */
  path?: string;
}

/** Starts dynalite on 127.0.0.1. Tables become ACTIVE at once (no CREATING delay). */
export async function startLocalDynamoDb(options: LocalDynamoDbOptions = {}): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  const port = await listenOnLoopback(server, options.port ?? 8000, { what: 'DynamoDB (dynalite)', envVar: 'DYNAMODB_PORT' });
  return { url: `http://${LOOPBACK}:${port}`, port, close: () => closeServer(server) };
}

/** A client for a local endpoint: fixed region and dummy credentials, never the user's. */
export function createLocalDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

// What CreateTable takes of a CloudFormation table; the rest (TimeToLiveSpecification,
// PointInTimeRecoverySpecification, SSESpecification, StreamSpecification, Tags, …) are
// separate APIs or deployment concerns that dynalite does not implement.
const TABLE_KEYS = [
  'AttributeDefinitions',
  'KeySchema',
  'BillingMode',
  'ProvisionedThroughput',
  'LocalSecondaryIndexes',
  'GlobalSecondaryIndexes',
] as const;
const INDEX_KEYS = ['IndexName', 'KeySchema', 'Projection', 'ProvisionedThroughput'] as const;
/** CloudFormation's default billing mode is PROVISIONED, which CreateTable makes explicit. */
const DEFAULT_THROUGHPUT = { ReadCapacityUnits: 5, WriteCapacityUnits: 5 };

/**
 * The CreateTable input for every `AWS::DynamoDB::Table` of `resources.Resources`, derived
 * from its CloudFormation Properties so the local table has the deployed keys and indexes.
 */
export function tableDefinitionsFrom(resources: Record<string, CloudFormationResource>): CreateTableCommandInput[] {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::DynamoDB::Table')
    .map(([logicalId, resource]) => toCreateTable(logicalId, resource.Properties ?? {}));
}

function toCreateTable(logicalId: string, properties: Record<string, unknown>): CreateTableCommandInput {
  // CloudFormation names an unnamed table after the stack; locally the logical id will do.
  const tableName = properties.TableName ?? logicalId;
  if (typeof tableName !== 'string') {
    throw new ServerlessConfigError(
      `${logicalId}.Properties.TableName must be a plain string locally (intrinsic functions are not evaluated)`,
    );
  }
  const input = pick(properties, TABLE_KEYS) as Record<string, unknown>;
  const provisioned = (input.BillingMode ?? 'PROVISIONED') === 'PROVISIONED';
  if (provisioned) input.ProvisionedThroughput = throughput(input.ProvisionedThroughput);
  else delete input.ProvisionedThroughput;
  for (const key of ['GlobalSecondaryIndexes', 'LocalSecondaryIndexes'] as const) {
    if (!Array.isArray(input[key])) continue;
    input[key] = (input[key] as Record<string, unknown>[]).map((index) => {
      const kept = pick(index, INDEX_KEYS);
      if (key === 'LocalSecondaryIndexes' || !provisioned) delete kept.ProvisionedThroughput;
      else kept.ProvisionedThroughput = throughput(kept.ProvisionedThroughput);
      return kept;
    });
  }
  return { ...input, TableName: tableName } as CreateTableCommandInput;
}

/**
 * Creates the tables (an existing one, from a kept `path`, is left as it is) and waits
 * until each is ACTIVE. Returns their names.
 */
export async function createTables(client: DynamoDBClient, resources: Record<string, CloudFormationResource>): Promise<string[]> {
  const definitions = tableDefinitionsFrom(resources);
  for (const definition of definitions) {
    try {
      await client.send(new CreateTableCommand(definition));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitUntilActive(client, definition.TableName!);
  }
  return definitions.map((definition) => definition.TableName!);
}

async function waitUntilActive(client: DynamoDBClient, tableName: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`Table ${tableName} did not become ACTIVE within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function throughput(value: unknown): { ReadCapacityUnits: number; WriteCapacityUnits: number } {
  if (value === null || typeof value !== 'object') return DEFAULT_THROUGHPUT;
  const { ReadCapacityUnits, WriteCapacityUnits } = value as Record<string, unknown>;
  return { ReadCapacityUnits: Number(ReadCapacityUnits ?? 5), WriteCapacityUnits: Number(WriteCapacityUnits ?? 5) };
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]));
}
