import { BackendRejectedError, BackendThrottledError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { sequenceRandom } from '../../helpers/FakeClock';
import { buildCore } from '../../helpers/buildCore';
import { echo, FakeBackend, makeItems, ok } from '../../helpers/fakeBackends';

const unavailable = () => new BackendUnavailableError('502 from upstream');

describe('BatchingCore: retries', () => {
  it('retries with exponential backoff and full jitter, asking the clock for each wait', async () => {
    // Prepare: three failures, then success; jitter draws 0.5, 0.25, 0.75
    const { clock, core, routes } = buildCore(
      (c) => ({
        'chat:m': [new FakeBackend('A', c, { latencyMs: 0, behaviour: (inputs, call) => (call < 3 ? unavailable() : echo(inputs, call)) })],
      }),
      { baseBackoffMs: 100, random: sequenceRandom(0.5, 0.25, 0.75) },
    );

    // Act
    const running = core.run(makeItems(1));
    await clock.runAll();
    const [outcome] = await running;

    // Assess: waits of 0.5×100, 0.25×200, 0.75×400
    expect(routes['chat:m']![0]!.calls.map((call) => call.startedAt)).toEqual([0, 50, 100, 400]);
    expect(clock.sleeps.filter((sleep) => sleep.ms !== 10)).toEqual([
      { at: 0, ms: 50 },
      { at: 50, ms: 50 },
      { at: 100, ms: 300 },
    ]);
    expect(outcome).toMatchObject({ status: 'succeeded', attempts: 4 });
    expect(core.stats().retries).toBe(3);
  });

  it('fails an item retryable, with its last error, once maxAttempts are used', async () => {
    // Prepare
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c, { behaviour: unavailable })] }), {
      maxAttempts: 3,
    });

    // Act
    const running = core.run(makeItems(1));
    await clock.runAll();
    const [outcome] = await running;

    // Assess
    expect(routes['chat:m']![0]!.calls).toHaveLength(3);
    expect(outcome).toEqual({
      status: 'failed',
      id: 'i0',
      attempts: 3,
      error: { code: 'backend_unavailable', message: '502 from upstream', retryable: true, httpStatus: 503 },
    });
  });

  it('stops retrying once the retry budget is spent: the rest fail retryable', async () => {
    // Prepare: budget = 0 × items + 2 retries for 5 single-item calls
    const { clock, core, routes } = buildCore(
      (c) => ({ 'chat:m': [new FakeBackend('A', c, { maxBatchItems: 1, behaviour: unavailable })] }),
      { retryBudgetRatio: 0, minRetryBudget: 2, maxAttempts: 4 },
    );

    // Act
    const running = core.run(makeItems(5));
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(routes['chat:m']![0]!.calls).toHaveLength(5 + 2);
    expect(core.stats().retries).toBe(2);
    expect(outcomes.every((o) => o.status === 'failed' && o.error.retryable && o.error.code === 'backend_unavailable')).toBe(true);
  });

  it('retries only the items that failed retryably inside a successful call, and fails the refused one', async () => {
    // Prepare
    const behaviour = (inputs: string[], call: number) =>
      inputs.map((input) => {
        if (call === 0 && input === 'i1') return { ok: false as const, error: new BackendThrottledError('slow down') };
        if (input === 'i2') return { ok: false as const, error: new BackendRejectedError('content filtered', { code: 'content_filter' }) };
        return ok(input);
      });
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c, { behaviour })] }));

    // Act
    const running = core.run(makeItems(4));
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(routes['chat:m']![0]!.calls.map((call) => call.inputs)).toEqual([['i0', 'i1', 'i2', 'i3'], ['i1']]);
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'succeeded', id: 'i0', value: 'out:i0', attempts: 1 }),
      expect.objectContaining({ status: 'succeeded', id: 'i1', value: 'out:i1', attempts: 2 }),
      {
        status: 'failed',
        id: 'i2',
        attempts: 1,
        error: { code: 'content_filter', message: 'content filtered', retryable: false, httpStatus: 400 },
      },
      expect.objectContaining({ status: 'succeeded', id: 'i3', attempts: 1 }),
    ]);
  });
});

describe('BatchingCore: adaptive concurrency', () => {
  it('halves the limit once when a wave of calls is throttled, then grows it by one per round', async () => {
    // Prepare: the first 8 calls (all in flight together) are throttled
    const { clock, core, routes } = buildCore(
      (c) => ({
        'chat:m': [
          new FakeBackend('A', c, {
            maxBatchItems: 1,
            maxConcurrency: 8,
            behaviour: (inputs, call) => (call < 8 ? new BackendThrottledError('429') : echo(inputs, call)),
          }),
        ],
      }),
      { initialConcurrency: 8 },
    );
    const backend = routes['chat:m']![0]!;

    // Act
    const running = core.run(makeItems(8));
    await clock.runAll();
    const outcomes = await running;

    // Assess: 8 → 4 after the wave; 4 successes → 5
    const retryStarts = backend.calls.slice(8).map((call) => call.startedAt);
    expect(core.stats().throttles).toBe(8);
    expect(retryStarts.filter((at) => at === retryStarts[0])).toHaveLength(4);
    expect(core.stats().limits).toEqual({ A: 5 });
    expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
  });

  it('honours Retry-After: no call to the backend starts before it', async () => {
    // Prepare: the first call is throttled with Retry-After 2 s, at t = 100
    const { clock, core, routes } = buildCore((c) => ({
      'chat:m': [
        new FakeBackend('A', c, {
          maxBatchItems: 1,
          maxConcurrency: 1,
          behaviour: (inputs, call) => (call === 0 ? new BackendThrottledError('429', { retryAfterMs: 2_000 }) : echo(inputs, call)),
        }),
      ],
    }));
    const backend = routes['chat:m']![0]!;

    // Act
    const running = core.run(makeItems(3));
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(backend.calls[0]!.startedAt).toBe(0);
    expect(backend.calls.slice(1).every((call) => call.startedAt >= 2_100)).toBe(true);
    expect(backend.calls).toHaveLength(4);
    expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
  });

  it('never has more calls in flight than the current limit', async () => {
    // Prepare
    const violations: string[] = [];
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c, { maxBatchItems: 1, maxConcurrency: 3 })] }), {
      initialConcurrency: 1,
    });
    const backend = routes['chat:m']![0]!;
    backend.onStart = (call) => {
      const limit = core.stats().limits.A!;
      if (call.inFlightAtStart > limit) violations.push(`${call.inFlightAtStart} in flight at limit ${limit}`);
    };

    // Act
    const running = core.run(makeItems(30));
    await clock.runAll();
    await running;

    // Assess: it grew from 1 to its ceiling of 3 and never above
    expect(violations).toEqual([]);
    expect(backend.maxInFlight).toBe(3);
    expect(core.stats().limits.A).toBe(3);
    expect(backend.calls[0]!.inFlightAtStart).toBe(1);
  });
});
