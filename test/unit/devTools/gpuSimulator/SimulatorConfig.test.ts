import {
  DEFAULT_SIMULATOR_CONFIG,
  SimulatorConfigError,
  applyConfigPatch,
  maxItemsPerSecond,
  maxSequencesPerSecond,
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

  it('computes the generation ceiling from the batch places, the step budget and the per-token costs', () => {
    // Prepare
    const knobs = {
      maxNumSeqs: 256,
      maxNumBatchedTokens: 8192,
      stepMs: 12,
      decodeMsPerSeq: 0.04,
      prefillMsPerToken: 0.02,
      tokensPerSecond: 0,
    };
    const shape = { promptTokens: 25, completionTokens: 16 };

    // Act
    const byPlaces = maxSequencesPerSecond(knobs, shape);
    const byBudget = maxSequencesPerSecond({ ...knobs, maxNumBatchedTokens: 64 }, shape);
    const byFloor = maxSequencesPerSecond({ ...knobs, tokensPerSecond: 10 }, shape);

    // Assess
    expect(byPlaces).toBeCloseTo(1000 / (12 * (16 / 256) + 15 * 0.04 + 25 * 0.02), 9);
    expect(byBudget).toBeCloseTo(1000 / (12 * (40 / 64) + 15 * 0.04 + 25 * 0.02), 9);
    expect(byFloor).toBeCloseTo((256 * 10) / 16, 9);
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
    [{ maxNumSeqs: 0 }, 'maxNumSeqs'],
    [{ stepMs: -1 }, 'stepMs'],
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
