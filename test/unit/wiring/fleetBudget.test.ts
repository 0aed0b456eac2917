import { loadConfig } from '../../../shared/config/config';
import { BackendRef, fleetConcurrencyOf } from '../../../shared/domain/catalogue';
import middy from '@middy/core';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createFleetBudget, returnFleetLeases } from '../../../shared/wiring/fleetBudget';

describe('the fleet budget as configured', () => {
  it('gives a GPU pool its maxConcurrency as budget unless the catalogue names one, and Bedrock none unless named', () => {
    // Prepare
    const gpu = BackendRef.parse({
      provider: 'openai-compatible',
      id: 'gpu',
      model: 'm',
      baseUrls: ['http://127.0.0.1:1'],
      maxConcurrency: 48,
    });
    const named = BackendRef.parse({ ...gpu, fleetConcurrency: 300 });
    const bedrock = BackendRef.parse({ provider: 'bedrock', id: 'b', model: 'x' });
    const quota = BackendRef.parse({ provider: 'bedrock', id: 'b', model: 'x', fleetConcurrency: 40 });

    // Act / Assess
    expect([gpu, named, bedrock, quota].map(fleetConcurrencyOf)).toEqual([48, 300, undefined, 40]);
  });

  it('builds one budget per process over the table, none without a table or when switched off', () => {
    // Act
    const first = createFleetBudget(loadConfig({ TABLE_NAME: 'platform' }));
    const again = createFleetBudget(loadConfig({ TABLE_NAME: 'platform' }));
    const noTable = createFleetBudget(loadConfig({}));
    const off = createFleetBudget(loadConfig({ TABLE_NAME: 'platform', FLEET_BUDGET: 'off' }));

    // Assess
    expect(first).toBeDefined();
    expect(again).toBe(first);
    expect([noTable, off]).toEqual([undefined, undefined]);
  });

  it('refuses a renewal period that is not shorter than the lease', () => {
    expect(() => loadConfig({ FLEET_LEASE_TTL_MS: '5000', FLEET_LEASE_RENEW_MS: '5000' })).toThrow('FLEET_LEASE_RENEW_MS');
  });

  describe('returnFleetLeases (the middleware of the functions that run batch work)', () => {
    const ddb = mockClient(DynamoDBDocumentClient);
    const pool = { id: 'gpu-chat:m', fleetConcurrency: 8 };
    const claim = { tenantId: 'acme', priority: 'batch' } as const;
    const budget = createFleetBudget(loadConfig({ TABLE_NAME: 'platform' }))!;
    const context = {} as Context;
    const writtenLeases = () => ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.ExpressionAttributeValues?.[':leases']);

    beforeEach(() => {
      ddb.reset();
      ddb.on(UpdateCommand).resolves({});
    });
    afterAll(() => budget.close());

    /** A call of tenant acme that takes a slot of the pool's lease (one write) and ends. */
    async function oneCall(): Promise<void> {
      await budget.acquire(pool, claim, () => 4);
      budget.release(pool, claim);
    }

    it('gives the process’s unused slots back in the table when the invocation ends', async () => {
      // Prepare
      const handler = middy(async () => {
        await oneCall();
        return 'done';
      }).use(returnFleetLeases());

      // Act
      const answer = await handler({}, context);

      // Assess: the lease written for the call, then a book without it
      expect(answer).toBe('done');
      expect(writtenLeases()).toHaveLength(2);
      expect(Object.values(writtenLeases()[0] as object)).toEqual([expect.objectContaining({ tenant: 'acme', slots: 1 })]);
      expect(writtenLeases()[1]).toEqual({});
      expect(budget.snapshot(pool.id).slots).toEqual({});
    });

    it('gives them back when the invocation fails too, and lets the error through', async () => {
      // Prepare
      const handler = middy(async () => {
        await oneCall();
        throw new Error('chunk failed');
      }).use(returnFleetLeases());

      // Act
      const outcome = await handler({}, context).catch((error: unknown) => error);

      // Assess
      expect(outcome).toEqual(new Error('chunk failed'));
      expect(writtenLeases().at(-1)).toEqual({});
      expect(budget.snapshot(pool.id).slots).toEqual({});
    });

    it('writes nothing for an invocation that held no lease', async () => {
      // Act
      const handler = middy(async () => 'nothing to run').use(returnFleetLeases());
      await handler({}, context);

      // Assess
      expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    });
  });
});
