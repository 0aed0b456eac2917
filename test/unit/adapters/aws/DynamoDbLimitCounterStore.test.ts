import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createDocumentClient } from '../../../../shared/adapters/aws/clients';
import { DynamoDbLimitCounterStore } from '../../../../shared/adapters/aws/DynamoDbLimitCounterStore';
import { DynamoDbTenantSettingsStore } from '../../../../shared/adapters/aws/DynamoDbTenantSettingsStore';

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('DynamoDbLimitCounterStore', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const store = new DynamoDbLimitCounterStore({ client: createDocumentClient(), tableName: 'platform' });
  beforeEach(() => ddb.reset());
  const draw = { scope: 'key:key_a', resource: 'tokens' as const, windowStart: 60_000, amount: 200, limit: 1_000, expiresAt: 180_000 };

  it('draws with one conditional ADD that keeps the window item within the limit, and answers the new total', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { tokens: 600 } });
    expect(await store.draw(draw)).toEqual({ granted: true, total: 600 });
    const input = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      TableName: 'platform',
      Key: { pk: 'LIMIT#key:key_a#60000', sk: 'WINDOW' },
      UpdateExpression: 'ADD #counter :amount SET #ttl = :ttl, #type = :type',
      ConditionExpression: 'attribute_not_exists(#counter) OR #counter <= :most',
      ExpressionAttributeNames: { '#counter': 'tokens', '#ttl': 'ttl', '#type': 'type' },
      ExpressionAttributeValues: { ':amount': 200, ':most': 800, ':ttl': 180 },
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('answers a refused draw with the total as it stands (a consistent read)', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: { tokens: 950 } });
    expect(await store.draw(draw)).toEqual({ granted: false, total: 950 });
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({
      Key: { pk: 'LIMIT#key:key_a#60000', sk: 'WINDOW' },
      ConsistentRead: true,
    });
  });

  it('lets other errors through', async () => {
    ddb.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(store.draw(draw)).rejects.toThrow('throttled');
  });

  it('takes a concurrency slot below the limit, refuses at it, and gives one back without going below zero', async () => {
    ddb
      .on(UpdateCommand, { UpdateExpression: 'ADD inFlight :one SET #ttl = :ttl, #type = :type' })
      .resolvesOnce({ Attributes: { inFlight: 2 } })
      .rejects(conditionFailed());
    ddb.on(UpdateCommand, { UpdateExpression: 'ADD inFlight :minusOne' }).rejects(conditionFailed());
    expect(await store.acquireSlot('tenant:acme', '2026-12-03', 2)).toEqual({ granted: true, inFlight: 2 });
    expect(await store.acquireSlot('tenant:acme', '2026-12-03', 2)).toEqual({ granted: false, inFlight: 2 });
    await expect(store.releaseSlot('tenant:acme', '2026-12-03')).resolves.toBeUndefined();
    const [acquire, , release] = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(acquire).toMatchObject({
      Key: { pk: 'SLOTS#tenant:acme#2026-12-03', sk: 'SLOTS' },
      ConditionExpression: 'attribute_not_exists(inFlight) OR inFlight < :limit',
    });
    expect(release).toMatchObject({ ConditionExpression: 'inFlight > :zero', ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 } });
  });
});

describe('DynamoDbTenantSettingsStore', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const store = new DynamoDbTenantSettingsStore({ client: createDocumentClient(), tableName: 'platform' });
  beforeEach(() => ddb.reset());

  it("reads a tenant's settings, {} for none or for a malformed item", async () => {
    ddb.on(GetCommand).resolves({});
    ddb
      .on(GetCommand, { Key: { pk: 'TENANT#acme', sk: 'LIMITS' } })
      .resolves({ Item: { limits: { requests_per_minute: 5 }, budget: { monthly_spend_usd: 10 } } });
    ddb.on(GetCommand, { Key: { pk: 'TENANT#bad', sk: 'LIMITS' } }).resolves({ Item: { limits: { requests_per_minute: 'many' } } });
    expect(await store.get('acme')).toEqual({ limits: { requests_per_minute: 5 }, budget: { monthly_spend_usd: 10 } });
    expect(await store.get('bad')).toEqual({});
    expect(await store.get('none')).toEqual({});
  });

  it('claims a budget warning once: the first put wins, a second is refused', async () => {
    ddb.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    expect(await store.claimBudgetWarning('acme', '2026-12', 0.8)).toBe(true);
    expect(await store.claimBudgetWarning('acme', '2026-12', 0.8)).toBe(false);
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({
      Item: { pk: 'TENANT#acme', sk: 'BUDGET#2026-12#0.8' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });
});
