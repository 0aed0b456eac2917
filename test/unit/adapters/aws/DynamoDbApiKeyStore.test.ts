import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbApiKeyStore } from '../../../../shared/adapters/aws/DynamoDbApiKeyStore';
import { createDocumentClient } from '../../../../shared/adapters/aws/clients';

describe('DynamoDbApiKeyStore', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const store = new DynamoDbApiKeyStore({ client: createDocumentClient(), tableName: 'platform' });
  beforeEach(() => ddb.reset());

  it('puts a key under its hash, refusing to overwrite one', async () => {
    ddb.on(PutCommand).resolves({});
    await store.put({ keyHash: 'abc', keyId: 'abc', tenantId: 't', name: 'n', createdAt: '2026-11-28T00:00:00.000Z' });
    const input = ddb.commandCalls(PutCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      TableName: 'platform',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: 'APIKEY#abc', sk: 'APIKEY', tenantId: 't' },
    });
  });

  it('finds a key by hash with a consistent read, and returns undefined for none', async () => {
    ddb
      .on(GetCommand, { Key: { pk: 'APIKEY#abc', sk: 'APIKEY' } })
      .resolves({ Item: { pk: 'APIKEY#abc', sk: 'APIKEY', keyId: 'abc', tenantId: 't', name: 'n', createdAt: 'c', revokedAt: 'r' } });
    ddb.on(GetCommand, { Key: { pk: 'APIKEY#zzz', sk: 'APIKEY' } }).resolves({});
    expect(await store.findByHash('abc')).toEqual({
      keyHash: 'abc',
      keyId: 'abc',
      tenantId: 't',
      name: 'n',
      createdAt: 'c',
      revokedAt: 'r',
    });
    expect(await store.findByHash('zzz')).toBeUndefined();
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
  });

  it('revoking an unknown key is a no-op, other errors surface', async () => {
    ddb
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }))
      .rejectsOnce(new Error('boom'));
    await expect(store.revoke('nope', new Date())).resolves.toBeUndefined();
    await expect(store.revoke('nope', new Date())).rejects.toThrow('boom');
  });
});
