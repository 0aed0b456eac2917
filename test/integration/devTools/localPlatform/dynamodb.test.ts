import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { join } from 'node:path';
import {
  createLocalDynamoDbClient,
  createTables,
  startLocalDynamoDb,
  tableDefinitionsFrom,
  type LocalDynamoDb,
} from '../../../../shared/devTools/localPlatform/dynamodb';
import { loadServerlessConfig } from '../../../../shared/devTools/localPlatform/serverlessConfig';

const config = loadServerlessConfig({ rootDir: join(__dirname, '..', '..', '..', '..'), stage: 'local' });

describe('tables from serverless.yml in dynalite', () => {
  let dynamodb: LocalDynamoDb;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamodb = await startLocalDynamoDb({ port: 0 });
    client = createLocalDynamoDbClient(dynamodb.url);
  });

  afterAll(async () => {
    client.destroy();
    await dynamodb.close();
  });

  it('listens on 127.0.0.1 on the port it was given (0: a free one)', () => {
    // Assess
    expect(dynamodb.url).toBe(`http://127.0.0.1:${dynamodb.port}`);
    expect(dynamodb.port).toBeGreaterThan(0);
  });

  it('creates the platform table with its keys and gsi1, ACTIVE', async () => {
    // Act
    const names = await createTables(client, config.resources);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'inference-platform-local' }));

    // Assess
    expect(names).toEqual(['inference-platform-local']);
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const gsi1 = Table?.GlobalSecondaryIndexes?.find((index) => index.IndexName === 'gsi1');
    expect(gsi1?.KeySchema).toEqual([
      { AttributeName: 'gsi1pk', KeyType: 'HASH' },
      { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
    ]);
    expect(gsi1?.Projection?.ProjectionType).toBe('ALL');
    expect(gsi1?.IndexStatus).toBe('ACTIVE');
  });

  it('leaves an existing table as it is when created again', async () => {
    // Act
    const names = await createTables(client, config.resources);

    // Assess
    expect(names).toEqual(['inference-platform-local']);
  });

  it('drops what CreateTable does not take and gives provisioned tables throughput', () => {
    // Act
    const [platform, provisioned] = tableDefinitionsFrom({
      ...config.resources,
      Other: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          Tags: [{ Key: 'a', Value: 'b' }],
        },
      },
      Queue: { Type: 'AWS::SQS::Queue' },
    });

    // Assess
    expect(Object.keys(platform ?? {}).sort()).toEqual([
      'AttributeDefinitions',
      'BillingMode',
      'GlobalSecondaryIndexes',
      'KeySchema',
      'TableName',
    ]);
    expect(provisioned).toMatchObject({ TableName: 'Other', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } });
    expect(provisioned).not.toHaveProperty('Tags');
  });

  it('says which port is taken when it cannot listen', async () => {
    // Act
    const act = startLocalDynamoDb({ port: dynamodb.port });

    // Assess
    await expect(act).rejects.toThrow(`127.0.0.1:${dynamodb.port}: the port is already in use`);
  });
});
