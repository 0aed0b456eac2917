import { buildCore } from '../../helpers/buildCore';
import { FakeBackend, makeItems } from '../../helpers/fakeBackends';

const HUNG = 1_000_000_000;

describe('BatchingCore: a hung backend does not eat the whole budget', () => {
  it('cuts a call at its share of the time left while a fallback remains, then serves from the fallback', async () => {
    // Prepare: A never answers, B answers in 100 ms; 10 s left, 0.5 s reserve, half the time per attempt
    const { clock, core, resolver, routes } = buildCore(
      (c) => ({
        'chat:m': [
          new FakeBackend('A', c, { maxBatchItems: 1, latencyMs: HUNG, expectedLatencyMs: 100 }),
          new FakeBackend('B', c, { maxBatchItems: 1 }),
        ],
      }),
      { deadlineSafetyMs: 500 },
    );

    // Act
    const running = core.run(makeItems(1), { deadline: 10_000 });
    await clock.runAll();
    const [outcome] = await running;

    // Assess: A cut at (10,000 − 500) / 2, recorded as a fault; B answered well before the deadline
    const [hung] = routes['chat:m']![0]!.calls;
    expect(hung!.aborted).toBe(true);
    expect(hung!.endedAt).toBe(4_750);
    expect(resolver.records).toContainEqual({ backendId: 'A', result: 'failure' });
    expect(outcome).toMatchObject({ status: 'succeeded', backendId: 'B', value: 'out:i0' });
    expect(routes['chat:m']![1]!.calls[0]!.endedAt).toBeLessThan(10_000 - 500);
  });

  it('gives a backend with no fallback the time up to the deadline, then fails the item deadline_exceeded', async () => {
    // Prepare: one hung backend, 10 s left
    const { clock, core, routes } = buildCore(
      (c) => ({ 'embeddings:m': [new FakeBackend('A', c, { latencyMs: HUNG, expectedLatencyMs: 100 })] }),
      { deadlineSafetyMs: 500 },
    );

    // Act
    const running = core.run(makeItems(2, { route: 'embeddings:m' }), { deadline: 10_000 });
    await clock.runAll();
    const outcomes = await running;

    // Assess: one call, cut at the deadline; both items failed retryable with deadline_exceeded
    expect(routes['embeddings:m']![0]!.calls).toHaveLength(1);
    expect(routes['embeddings:m']![0]!.calls[0]!.endedAt).toBe(10_000);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'deadline_exceeded', retryable: true } });
    }
  });

  it('never cuts a call below the backend’s expected latency', async () => {
    // Prepare: 3 s left, expected 2 s: half the time left (1.25 s) would cut a healthy call
    const { clock, core, routes } = buildCore(
      (c) => ({
        'chat:m': [
          new FakeBackend('A', c, { maxBatchItems: 1, latencyMs: 1_900, expectedLatencyMs: 2_000 }),
          new FakeBackend('B', c, { maxBatchItems: 1 }),
        ],
      }),
      { deadlineSafetyMs: 500 },
    );

    // Act
    const running = core.run(makeItems(1), { deadline: 3_000 });
    await clock.runAll();
    const [outcome] = await running;

    // Assess
    expect(outcome).toMatchObject({ status: 'succeeded', backendId: 'A' });
    expect(routes['chat:m']![1]!.calls).toHaveLength(0);
  });
});
