import { FaultInjector, TokenWindow, mulberry32 } from '../../../../shared/devTools/gpuSimulator/faults';
import { DEFAULT_SIMULATOR_CONFIG, type FaceFaults } from '../../../../shared/devTools/gpuSimulator/SimulatorConfig';

const NONE: FaceFaults = DEFAULT_SIMULATOR_CONFIG.openai;

describe('fault injection', () => {
  it('replays the same PRNG sequence from the same seed', () => {
    // Prepare
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);

    // Act
    const seqA = Array.from({ length: 5 }, () => a());
    const seqB = Array.from({ length: 5 }, () => b());
    const seqC = Array.from({ length: 5 }, () => c());

    // Assess
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    expect(seqA.every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it('answers every request with an error at errorRate 1 and none at 0', () => {
    // Prepare
    const injector = new FaultInjector(1);

    // Act
    const failing = Array.from({ length: 20 }, () => injector.decide('openai', { ...NONE, errorRate: 1 }, 10).kind);
    const healthy = Array.from({ length: 20 }, () => injector.decide('openai', NONE, 10).kind);

    // Assess
    expect(new Set(failing)).toEqual(new Set(['error']));
    expect(new Set(healthy)).toEqual(new Set(['serve']));
  });

  it('hits the same requests for the same seed, whatever the other rates', () => {
    // Prepare
    const plain = new FaultInjector(99);
    const withSlow = new FaultInjector(99);

    // Act
    const a = Array.from({ length: 200 }, () => plain.decide('bedrock', { ...NONE, errorRate: 0.3 }, 1).kind === 'error');
    const b = Array.from(
      { length: 200 },
      () => withSlow.decide('bedrock', { ...NONE, errorRate: 0.3, slowRate: 0.5, slowMs: 5 }, 1).kind === 'error',
    );

    // Assess
    expect(b).toEqual(a);
    const errors = a.filter(Boolean).length;
    expect(errors).toBeGreaterThan(30);
    expect(errors).toBeLessThan(90);
  });

  it('throttles once the 60 s token window is full and lets traffic through after it slides', () => {
    // Prepare
    let now = 1_000_000;
    const injector = new FaultInjector(1, () => now);
    const faults = { ...NONE, tokensPerMinute: 100 };

    // Act
    const first = injector.decide('openai', faults, 60);
    now += 10_000;
    const second = injector.decide('openai', faults, 50);
    const otherFace = injector.decide('bedrock', faults, 50);
    now += 50_000;
    const afterSlide = injector.decide('openai', faults, 50);

    // Assess: 60 + 50 > 100 until the first spend leaves the window 50 s later.
    expect(first.kind).toBe('serve');
    expect(second).toEqual({ kind: 'throttle', reason: 'tokens', retryAfterSeconds: 50 });
    expect(otherFace.kind).toBe('serve');
    expect(afterSlide.kind).toBe('serve');
    expect(injector.tokensInWindow('openai')).toBe(50);
  });

  it('never fits a request larger than the whole budget', () => {
    // Prepare
    const window = new TokenWindow();

    // Act
    const wait = window.trySpend(101, 100, 0);

    // Assess
    expect(wait).toBe(60);
    expect(window.used(0)).toBe(0);
  });
});
