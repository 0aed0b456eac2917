import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbApiKeyStore } from '../../../../shared/adapters/aws/DynamoDbApiKeyStore';
import { hashApiKey, issueApiKey } from '../../../../shared/auth/ApiKeyStore';
import { startTestTable } from '../../../helpers/localDynamoDb';

/** Against dynalite, and against DynamoDB Local in `npm run test:dynamodb-local`. */
describe('DynamoDbApiKeyStore against a local DynamoDB', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let store: DynamoDbApiKeyStore;
  beforeAll(async () => {
    table = await startTestTable();
    store = new DynamoDbApiKeyStore({ client: table.documentClient, tableName: table.tableName });
  });
  afterAll(() => table.close());

  it('stores a key under its hash only, and finds it by the hash', async () => {
    // Prepare
    const { key, record } = await issueApiKey(store, { tenantId: 'tenant-a', name: 'ci', now: new Date('2026-11-28T00:00:00Z') });
    // Act
    const found = await store.findByHash(hashApiKey(key));
    const { Item } = await table.documentClient.send(
      new GetCommand({ TableName: table.tableName, Key: { pk: `APIKEY#${record.keyHash}`, sk: 'APIKEY' } }),
    );
    // Assess
    expect(found).toEqual(record);
    expect(JSON.stringify(Item)).not.toContain(key);
    expect(await store.findByHash(hashApiKey('sk-unknown'))).toBeUndefined();
  });

  it('knows a tenant once a key record names it (revoked or not), and no other', async () => {
    // Prepare
    const { record } = await issueApiKey(store, { tenantId: 'tenant-known', name: 'drops' });
    await store.revoke(record.keyHash, new Date());
    // Act
    const known = await store.isKnownTenant('tenant-known');
    const unknown = await store.isKnownTenant('tenant-nobody');
    // Assess
    expect([known, unknown]).toEqual([true, false]);
  });

  it('refuses a second record for the same hash', async () => {
    const record = { keyHash: hashApiKey('sk-twice'), keyId: 'k', tenantId: 't', name: '', createdAt: '2026-11-28T00:00:00.000Z' };
    await store.put(record);
    await expect(store.put({ ...record, tenantId: 'other' })).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(await store.findByHash(record.keyHash)).toEqual(record);
  });

  it('marks a key revoked, and revoking an unknown key changes nothing', async () => {
    const { record } = await issueApiKey(store, { tenantId: 'tenant-b', name: 'to revoke' });
    await store.revoke(record.keyHash, new Date('2026-12-01T00:00:00Z'));
    await expect(store.revoke(hashApiKey('sk-never-issued'), new Date())).resolves.toBeUndefined();
    expect(await store.findByHash(record.keyHash)).toEqual({ ...record, revokedAt: '2026-12-01T00:00:00.000Z' });
    expect(await store.findByHash(hashApiKey('sk-never-issued'))).toBeUndefined();
  });

  it('lists every key item, those written before ids and the tenant index too, finds one by id, and records use at most once per window', async () => {
    // Prepare: a key as older code wrote it (no role, prefix nor index attributes).
    await table.documentClient.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          pk: 'APIKEY#legacyhash',
          sk: 'APIKEY',
          type: 'apiKey',
          keyHash: 'legacyhash',
          keyId: 'legacyhash12',
          tenantId: 'tenant-old',
          name: 'old',
          createdAt: '2026-01-01T00:00:00.000Z',
        },
      }),
    );
    const { record } = await issueApiKey(store, {
      tenantId: 'tenant-old',
      name: 'new',
      role: 'admin',
      now: new Date('2026-12-01T00:00:00Z'),
    });
    // Act
    const listed = await store.list({ tenantId: 'tenant-old' });
    const byId = await store.findById(record.keyId);
    const legacy = await store.findById('legacyhash12');
    await store.recordUse(record.keyHash, new Date('2026-12-02T00:00:00Z'), new Date('2026-12-01T23:55:00Z'));
    await store.recordUse(record.keyHash, new Date('2026-12-02T00:01:00Z'), new Date('2026-12-01T23:56:00Z'));
    // Assess
    expect(listed.map((key) => key.keyId)).toEqual(['legacyhash12', record.keyId]);
    expect(listed[0]).toEqual({
      keyHash: 'legacyhash',
      keyId: 'legacyhash12',
      tenantId: 'tenant-old',
      name: 'old',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(byId).toEqual(record);
    expect(legacy?.keyHash).toBe('legacyhash');
    expect((await store.list()).length).toBeGreaterThan(2);
    expect((await store.findByHash(record.keyHash))?.lastUsedAt).toBe('2026-12-02T00:00:00.000Z');
  });
});
