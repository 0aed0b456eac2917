import {
  DEFAULT_SIMULATOR_CONFIG,
  SimulatorConfigError,
  applyConfigPatch,
  maxItemsPerSecond,
} from '../../../../shared/devTools/gpuSimulator/SimulatorConfig';

describe('SimulatorConfig', () => {
  it('computes the best throughput as slots * maxItemsPerPass / (passMs + maxItemsPerPass * itemMs)', () => {
    // Prepare
    const config = { slots: 4, maxItemsPerPass: 64, passMs: 40, itemMs: 1.5 };

    // Act
    const ceiling = maxItemsPerSecond(config);

    // Assess: 256 items every 136 ms.
    expect(ceiling).toBeCloseTo((4 * 64 * 1000) / 136, 6);
    expect(maxItemsPerSecond(DEFAULT_SIMULATOR_CONFIG)).toBeCloseTo(ceiling, 6);
  });

  it('merges a partial patch, face knobs key by key, without touching the base', () => {
    // Prepare
    const base = applyConfigPatch(DEFAULT_SIMULATOR_CONFIG, { bedrock: { throttleRate: 0.5 } });

    // Act
    const next = applyConfigPatch(base, { slots: 2, bedrock: { errorRate: 1 }, models: ['m1'] });

    // Assess
    expect(next.slots).toBe(2);
    expect(next.bedrock).toMatchObject({ errorRate: 1, throttleRate: 0.5 });
    expect(next.openai).toEqual(DEFAULT_SIMULATOR_CONFIG.openai);
    expect(next.models).toEqual(['m1']);
    expect(base.slots).toBe(4);
  });

  it.each([
    [{ slots: 0 }, 'slots'],
    [{ openai: { errorRate: 1.5 } }, 'openai.errorRate'],
    [{ passMs: 'fast' }, 'passMs'],
    [{ slotz: 3 }, 'slotz'],
    [{ bedrock: { typo: 1 } }, 'bedrock.typo'],
  ])('rejects %j naming %s', (patch, param) => {
    // Prepare / Act
    const attempt = (): unknown => applyConfigPatch(DEFAULT_SIMULATOR_CONFIG, patch);

    // Assess
    expect(attempt).toThrow(SimulatorConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as SimulatorConfigError).param).toBe(param);
      expect((error as Error).message).toContain(param.split('.')[0]);
    }
  });
});
