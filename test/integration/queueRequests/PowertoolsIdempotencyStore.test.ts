import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { IDEMPOTENCY_PARTITION, PowertoolsIdempotencyStore } from '../../../shared/adapters/aws/PowertoolsIdempotencyStore';
import { startTestTable } from '../../helpers/localDynamoDb';

describe('PowertoolsIdempotencyStore against dynalite (the platform table)', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let store: PowertoolsIdempotencyStore;
  beforeAll(async () => {
    table = await startTestTable();
    store = new PowertoolsIdempotencyStore({ tableName: table.tableName, client: table.client });
  });
  afterAll(() => table.close());

  const soon = () => Date.now() + 60_000;
  const records = async () =>
    (
      await table.documentClient.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': IDEMPOTENCY_PARTITION },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];

  it('claims a key once; a live lock holds the others off; completed stays completed', async () => {
    expect(await store.claim('c-1:aaa', soon())).toBe('acquired');
    expect(await store.claim('c-1:aaa', soon())).toBe('in_progress');
    await store.complete('c-1:aaa');
    expect(await store.claim('c-1:aaa', soon())).toBe('completed');
    expect(await store.claim('c-1:bbb', soon())).toBe('acquired');
  });

  it('keeps its records in the static partition with the table TTL attribute, seven days ahead', async () => {
    await store.claim('ttl:1', soon());
    await store.complete('ttl:1');
    const record = (await records()).find((item) => item.status === 'COMPLETED')!;
    expect(record.sk).toMatch(/^queue-request#/);
    expect(record.ttl).toBeGreaterThan(Date.now() / 1000 + 7 * 86_400 - 60);
    expect(record.ttl).toBeLessThanOrEqual(Date.now() / 1000 + 7 * 86_400 + 1);
  });

  it('frees a released claim for the next delivery', async () => {
    expect(await store.claim('rel:1', soon())).toBe('acquired');
    await store.release('rel:1');
    expect(await store.claim('rel:1', soon())).toBe('acquired');
  });

  it('lets a delivery claim a key whose holder died once its lock has expired', async () => {
    expect(await store.claim('dead:1', Date.now() + 200)).toBe('acquired');
    expect(await store.claim('dead:1', soon())).toBe('in_progress');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await store.claim('dead:1', soon())).toBe('acquired');
  });

  it('gives exactly one of many concurrent claims of one key', async () => {
    const claims = await Promise.all(Array.from({ length: 20 }, () => store.claim('race:1', soon())));
    expect(claims.filter((claim) => claim === 'acquired')).toHaveLength(1);
    expect(claims.filter((claim) => claim === 'in_progress')).toHaveLength(19);
  });

  it('forgets an answered request once its record has expired (before DynamoDB TTL deletes it)', async () => {
    const shortLived = new PowertoolsIdempotencyStore({ tableName: table.tableName, client: table.client, expiresAfterSeconds: 1 });
    expect(await shortLived.claim('exp:1', soon())).toBe('acquired');
    await shortLived.complete('exp:1');
    expect(await shortLived.claim('exp:1', soon())).toBe('completed');
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(await shortLived.claim('exp:1', soon())).toBe('acquired');
  });

  it('leaves other items of the table alone', async () => {
    const { Item } = await table.documentClient.send(new GetCommand({ TableName: table.tableName, Key: { pk: 'JOB#x', sk: 'JOB' } }));
    expect(Item).toBeUndefined();
    expect((await records()).every((item) => item.pk === IDEMPOTENCY_PARTITION && String(item.sk).startsWith('queue-request#'))).toBe(true);
  });
});
