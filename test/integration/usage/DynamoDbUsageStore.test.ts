import { DynamoDbUsageStore } from '../../../shared/adapters/aws/DynamoDbUsageStore';
import { startTestTable } from '../../helpers/localDynamoDb';

describe('DynamoDbUsageStore against a DynamoDB-API server', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let store: DynamoDbUsageStore;
  beforeAll(async () => {
    table = await startTestTable();
    store = new DynamoDbUsageStore({ client: table.documentClient, tableName: table.tableName });
  });
  afterAll(() => table.close());

  it('adds to each day, tenant and model counter, and reads a range of all tenants or of one', async () => {
    // Prepare
    const row = (day: string, tenantId: string, model: string, requests: number) => ({
      day,
      tenantId,
      model,
      requests,
      inputTokens: requests * 10,
      outputTokens: requests,
    });
    // Act: two adds to one counter, a tenant whose id starts like another's, another day.
    await store.add([row('2026-12-01', 'acme', 'm1', 2), row('2026-12-01', 'acme-2', 'm1', 5)]);
    await store.add([row('2026-12-01', 'acme', 'm1', 3), row('2026-12-02', 'acme', 'm2', 1), row('2026-12-04', 'acme', 'm1', 9)]);
    const all = await store.query({ from: '2026-12-01', to: '2026-12-02' });
    const acme = await store.query({ from: '2026-12-01', to: '2026-12-03', tenantId: 'acme' });
    // Assess
    expect(all).toEqual(
      expect.arrayContaining([
        row('2026-12-01', 'acme', 'm1', 5),
        row('2026-12-01', 'acme-2', 'm1', 5),
        row('2026-12-02', 'acme', 'm2', 1),
      ]),
    );
    expect(all).toHaveLength(3);
    expect(acme).toEqual([row('2026-12-01', 'acme', 'm1', 5), row('2026-12-02', 'acme', 'm2', 1)]);
  });
});
