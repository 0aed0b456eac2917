import { LatencyEstimator } from '../../../shared/batchingCore/LatencyEstimator';

describe('LatencyEstimator', () => {
  const backend = { id: 'gpu', expectedLatencyMs: 700 };

  it('uses the backend’s expected latency before any call was measured', () => {
    // Prepare
    const estimator = new LatencyEstimator();

    // Act
    const estimate = estimator.estimate(backend);

    // Assess
    expect(estimate).toBe(700);
  });

  it('is pessimistic after one sample: the sample plus twice half of it', () => {
    // Prepare
    const estimator = new LatencyEstimator();

    // Act
    estimator.observe('gpu', 1_000);

    // Assess
    expect(estimator.estimate(backend)).toBe(2_000);
  });

  it('converges to a steady latency as its deviation fades', () => {
    // Prepare
    const estimator = new LatencyEstimator();

    // Act
    for (let i = 0; i < 50; i += 1) estimator.observe('gpu', 1_000);

    // Assess
    expect(estimator.estimate(backend)).toBeGreaterThan(1_000);
    expect(estimator.estimate(backend)).toBeLessThan(1_001);
  });

  it('keeps a margin above the mean when latency varies, and tracks backends apart', () => {
    // Prepare
    const estimator = new LatencyEstimator();

    // Act
    for (let i = 0; i < 50; i += 1) estimator.observe('gpu', i % 2 === 0 ? 800 : 1_200);
    estimator.observe('other', 10);

    // Assess
    expect(estimator.estimate(backend)).toBeGreaterThan(1_300);
    expect(estimator.estimate({ id: 'other', expectedLatencyMs: 5 })).toBe(20);
  });
});
