import { loadConfig } from '../../../shared/config/config';
import { BackendRef, fleetConcurrencyOf } from '../../../shared/domain/catalogue';
import { createFleetBudget } from '../../../shared/wiring/fleetBudget';

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
});
