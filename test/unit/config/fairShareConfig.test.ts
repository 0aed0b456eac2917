import { ConfigError, loadConfig } from '../../../shared/config/config';

describe('config: fair shares', () => {
  it('defaults to fair sharing on, every tenant weight 1, a quarter of a backend reserved for real-time', () => {
    expect(loadConfig({}).fairShare).toEqual({
      enabled: true,
      weights: {},
      realtimeReserve: 0.25,
      realtimeHoldMs: 5_000,
      realtimeLoadShare: 1,
    });
  });

  it('reads weights, the switch, the reserve and the hold', () => {
    // Act
    const config = loadConfig({
      FAIR_SHARE: 'off',
      TENANT_WEIGHTS: 'acme=2, tiny=0.5',
      REALTIME_RESERVE: '0.5',
      REALTIME_HOLD_MS: '0',
      REALTIME_LOAD_SHARE: '0.3',
      SERVER_QUEUE_SHARE: '0',
    });

    // Assess
    expect(config.fairShare).toEqual({
      enabled: false,
      weights: { acme: 2, tiny: 0.5 },
      realtimeReserve: 0.5,
      realtimeHoldMs: 0,
      realtimeLoadShare: 0.3,
      serverQueueShare: 0,
    });
  });

  it('refuses a weight that is not positive, and a reserve of the whole backend', () => {
    expect(() => loadConfig({ TENANT_WEIGHTS: 'acme=0' })).toThrow(ConfigError);
    expect(() => loadConfig({ TENANT_WEIGHTS: 'acme' })).toThrow('TENANT_WEIGHTS');
    expect(() => loadConfig({ REALTIME_RESERVE: '1' })).toThrow('REALTIME_RESERVE');
    expect(() => loadConfig({ REALTIME_LOAD_SHARE: '0' })).toThrow('REALTIME_LOAD_SHARE');
    expect(() => loadConfig({ SERVER_QUEUE_SHARE: '-0.1' })).toThrow('SERVER_QUEUE_SHARE');
  });
});
