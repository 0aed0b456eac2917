import { DynamoDbLeaseStore } from '../../../../shared/adapters/aws/DynamoDbLeaseStore';
import { grantLeases } from '../../../../shared/batchingCore/leaseGrant';
import type { LeaseBook } from '../../../../shared/batchingCore/LeaseStore';
import { startTestTable } from '../../../helpers/localDynamoDb';

/** Against dynalite, and against DynamoDB Local in `npm run test:dynamodb-local`. */
describe('DynamoDbLeaseStore against a local DynamoDB', () => {
  let table: Awaited<ReturnType<typeof startTestTable>>;
  let store: DynamoDbLeaseStore;
  beforeAll(async () => {
    table = await startTestTable();
    store = new DynamoDbLeaseStore({ client: table.documentClient, tableName: table.tableName });
  });
  afterAll(() => table.close());

  it('lets one of two writers of the same version win, and hands the loser the winner’s book', async () => {
    // Prepare
    const entry = { holder: 'c1', tenant: 'a', slots: 3, want: 3, expiresAt: Date.now() + 20_000 };
    const first = await store.write('pool-race', { version: 1, leases: { 'c1|a': entry } }, 0);

    // Act: two writers both read version 1
    const results = await Promise.all([
      store.write('pool-race', { version: 2, leases: {} }, 1),
      store.write('pool-race', { version: 2, leases: { 'c1|a': { ...entry, slots: 1 } } }, 1),
    ]);

    // Assess
    expect(first).toEqual({ written: true });
    expect(results.filter((result) => result.written)).toHaveLength(1);
    const loser = results.find((result) => !result.written)!;
    expect(loser).toEqual({ written: false, current: await store.read('pool-race') });
    expect((await store.read('pool-race')).version).toBe(2);
  });

  it('keeps the recorded slots within the budget while 8 containers claim, renew and return at once', async () => {
    // Prepare: each container loops read-rule-write as FleetBudget does, against the real conditional write
    const capacity = 20;
    const seen: number[] = [];
    const container = async (holder: string, tenant: string) => {
      let book: LeaseBook = await store.read('pool-fleet');
      for (let round = 0; round < 6; round += 1) {
        const want = round === 5 ? 0 : 10;
        for (;;) {
          const next = grantLeases(
            book,
            { holder, capacity, now: Date.now(), ttlMs: 60_000, tenants: { [tenant]: { want, inUse: 0 } } },
            () => 1,
          );
          const result = await store.write('pool-fleet', next.book, book.version);
          if (result.written) {
            book = next.book;
            break;
          }
          book = result.current;
        }
        seen.push(Object.values(book.leases).reduce((sum, entry) => sum + entry.slots, 0));
        // Containers write every few seconds, not back to back (a holder that writes again at once always wins the race).
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    // Act
    await Promise.all(Array.from({ length: 8 }, (_, i) => container(`c${i}`, i % 2 === 0 ? 'a' : 'b')));

    // Assess: never more than the budget in any written book, the budget used at some point, all returned at the end
    expect(Math.max(...seen)).toBeLessThanOrEqual(capacity);
    expect(Math.max(...seen)).toBe(capacity);
    expect(await store.read('pool-fleet')).toEqual({ version: 48, leases: {} });
  });
});
