import type { AsyncRequest } from '../../../shared/queueRequests/AsyncRequest';
import { DynamoDbAsyncRequestStore } from '../../../shared/adapters/aws/DynamoDbAsyncRequestStore';
import { startTestTable } from '../../helpers/localDynamoDb';

const request = (id: string, overrides: Partial<AsyncRequest> = {}): AsyncRequest => ({
  id,
  tenantId: 'tenant-a',
  status: 'queued',
  url: '/v1/chat/completions',
  metadata: { app: 'x' },
  createdAt: 1_000,
  expiresAt: 605_800,
  ...overrides,
});

describe('DynamoDbAsyncRequestStore against dynalite', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let store: DynamoDbAsyncRequestStore;
  beforeAll(async () => {
    table = await startTestTable();
    store = new DynamoDbAsyncRequestStore(table.documentClient, table.tableName);
  });
  afterAll(() => table.close());

  it('creates a request once and reads it back whole', async () => {
    await store.create(request('req_1'));
    await expect(store.create(request('req_1', { tenantId: 'tenant-b' }))).rejects.toThrow('exists already');
    expect(await store.get('req_1')).toEqual(request('req_1'));
    expect(await store.get('req_none')).toBeUndefined();
  });

  it('settles a queued request once, only for its tenant', async () => {
    await store.create(request('req_2'));
    expect(await store.settle('req_2', 'tenant-b', { status: 'failed', settledAt: 5, error: { code: 'forged', message: 'x' } })).toBe(
      false,
    );
    expect(await store.settle('req_2', 'tenant-a', { status: 'completed', settledAt: 6, resultJson: '{"object":"list"}' })).toBe(true);
    expect(await store.settle('req_2', 'tenant-a', { status: 'failed', settledAt: 7, error: { code: 'late', message: 'x' } })).toBe(false);
    expect(await store.get('req_2')).toEqual({ ...request('req_2'), status: 'completed', settledAt: 6, resultJson: '{"object":"list"}' });
  });

  it('records where a large result is, and a failure with its error', async () => {
    await store.create(request('req_3'));
    await store.create(request('req_4'));
    await store.settle('req_3', 'tenant-a', { status: 'completed', settledAt: 8, resultKey: 'requests/tenant-a/req_3.json' });
    await store.settle('req_4', 'tenant-a', { status: 'failed', settledAt: 9, error: { code: 'backend_unavailable', message: 'down' } });
    expect(await store.get('req_3')).toMatchObject({ status: 'completed', resultKey: 'requests/tenant-a/req_3.json' });
    expect(await store.get('req_4')).toMatchObject({
      status: 'failed',
      settledAt: 9,
      error: { code: 'backend_unavailable', message: 'down' },
    });
  });

  it('does not settle a request that does not exist (a forged async_request changes nothing)', async () => {
    expect(await store.settle('req_ghost', 'tenant-a', { status: 'failed', settledAt: 1, error: { code: 'x', message: 'x' } })).toBe(false);
    expect(await store.get('req_ghost')).toBeUndefined();
  });

  it("lists a tenant's requests newest first, a page at a time, and no other tenant's", async () => {
    // Prepare: a tenant of its own, so the earlier tests' requests do not count.
    for (const [i, id] of ['req_l1', 'req_l2', 'req_l3'].entries())
      await store.create(request(id, { tenantId: 'lister', createdAt: 2_000 + i }));
    await store.create(request('req_other', { tenantId: 'someone-else', createdAt: 3_000 }));
    // Act
    const first = await store.list('lister', { limit: 2 });
    const second = await store.list('lister', { limit: 2, after: first.requests.at(-1)!.id });
    // Assess
    expect(first.requests.map((r) => r.id)).toEqual(['req_l3', 'req_l2']);
    expect(first.hasMore).toBe(true);
    expect(second.requests.map((r) => r.id)).toEqual(['req_l1']);
    expect(second.hasMore).toBe(false);
    expect(first.requests[0]).toEqual(request('req_l3', { tenantId: 'lister', createdAt: 2_002 }));
  });
});
