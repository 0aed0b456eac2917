import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createDocumentClient } from '../../../../shared/adapters/aws/clients';
import { DynamoDbLeaseStore } from '../../../../shared/adapters/aws/DynamoDbLeaseStore';

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const entry = { holder: 'c1', tenant: 'acme', slots: 8, want: 12, expiresAt: 4_102_444_800_000 };

describe('DynamoDbLeaseStore', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const store = new DynamoDbLeaseStore({ client: createDocumentClient(), tableName: 'platform' });
  beforeEach(() => ddb.reset());

  it('writes the first book of a backend only if none exists, with a ttl after its last lease', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});

    // Act
    const result = await store.write('gpu-chat:m', { version: 1, leases: { 'c1|acme': entry } }, 0);

    // Assess
    expect(result).toEqual({ written: true });
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toEqual({
      TableName: 'platform',
      Key: { pk: 'FLEET#gpu-chat:m', sk: 'LEASES' },
      UpdateExpression: 'SET #type = :type, #version = :version, #leases = :leases, #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeNames: { '#type': 'type', '#version': 'version', '#leases': 'leases', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':type': 'fleetLeases',
        ':version': 1,
        ':leases': { 'c1|acme': entry },
        ':ttl': 4_102_444_800 + 3_600,
      },
    });
  });

  it('replaces a book on the condition that its version is still the one read', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});

    // Act
    await store.write('gpu-chat:m', { version: 8, leases: {} }, 7);

    // Assess
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      ConditionExpression: '#version = :expected',
      ExpressionAttributeValues: { ':expected': 7, ':version': 8, ':leases': {} },
    });
  });

  it('answers a lost race with the current book, read strongly consistent', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(conditionFailed());
    const api = { holder: 'c2', tenant: 'acme', slots: 3, want: 4, realtime: 4, expiresAt: 4_102_444_800_000 };
    ddb
      .on(GetCommand)
      .resolves({ Item: { pk: 'FLEET#gpu-chat:m', sk: 'LEASES', version: 9, leases: { 'c1|acme': entry, 'c2|acme': api } } });

    // Act
    const result = await store.write('gpu-chat:m', { version: 8, leases: {} }, 7);

    // Assess: an entry's real-time want comes back with it; one without has none
    expect(result).toEqual({ written: false, current: { version: 9, leases: { 'c1|acme': entry, 'c2|acme': api } } });
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toEqual({
      TableName: 'platform',
      Key: { pk: 'FLEET#gpu-chat:m', sk: 'LEASES' },
      ConsistentRead: true,
    });
  });

  it('reads a backend without a book as an empty one at version 0, and passes other errors on', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    const failing = new DynamoDbLeaseStore({ client: createDocumentClient(), tableName: 'platform' });

    // Act
    const empty = await store.read('bedrock:x');
    ddb.on(UpdateCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    // Assess
    expect(empty).toEqual({ version: 0, leases: {} });
    await expect(failing.write('bedrock:x', { version: 1, leases: {} }, 0)).rejects.toThrow('ProvisionedThroughput');
  });
});
