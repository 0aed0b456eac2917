import { getEventListeners } from 'node:events';
import { BackendThrottledError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { buildCore } from '../../helpers/buildCore';
import { FakeBackend, makeItems } from '../../helpers/fakeBackends';

describe('BatchingCore: deadline', () => {
  it('starts no call that cannot finish before the deadline; the untouched items are not_attempted', async () => {
    // Prepare: calls take 1 s, one at a time; 3 s left, 0.5 s kept in reserve
    const { clock, core, routes } = buildCore(
      (c) => ({ 'chat:m': [new FakeBackend('A', c, { maxBatchItems: 1, maxConcurrency: 1, latencyMs: 1_000 })] }),
      { deadlineSafetyMs: 500 },
    );
    const backend = routes['chat:m']![0]!;

    // Act
    const running = core.run(makeItems(4), { deadline: 3_000 });
    await clock.runAll();
    const outcomes = await running;

    // Assess
    const sent = new Set(backend.calls.flatMap((call) => call.inputs));
    expect(backend.calls.length).toBeGreaterThanOrEqual(1);
    expect(backend.calls.every((call) => call.endedAt! <= 3_000 - 500 && !call.aborted)).toBe(true);
    for (const outcome of outcomes) {
      if (sent.has(outcome.id)) expect(outcome.status).toBe('succeeded');
      else expect(outcome).toEqual({ status: 'not_attempted', id: outcome.id, reason: 'deadline' });
    }
    expect(outcomes.filter((o) => o.status === 'not_attempted').length).toBeGreaterThanOrEqual(1);
  });

  it('judges the first call by the backend’s expected latency', async () => {
    // Prepare: expected 1 s, 1.4 s left, 0.5 s reserve
    const { clock, core, routes } = buildCore(
      (c) => ({ 'chat:m': [new FakeBackend('A', c, { latencyMs: 10, expectedLatencyMs: 1_000 })] }),
      { deadlineSafetyMs: 500 },
    );

    // Act
    const running = core.run(makeItems(2), { deadline: 1_400 });
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(routes['chat:m']![0]!.calls).toHaveLength(0);
    expect(outcomes).toEqual([
      { status: 'not_attempted', id: 'i0', reason: 'deadline' },
      { status: 'not_attempted', id: 'i1', reason: 'deadline' },
    ]);
  });

  it('fails an attempted item retryable when its retry would end past the deadline', async () => {
    // Prepare: the call fails at 100 ms; a retry (50 ms backoff + 100 ms call + 500 ms reserve) would end after 650 ms
    const { clock, core, routes } = buildCore(
      (c) => ({
        'chat:m': [new FakeBackend('A', c, { maxBatchItems: 1, maxConcurrency: 1, behaviour: () => new BackendUnavailableError('down') })],
      }),
      { deadlineSafetyMs: 500, baseBackoffMs: 100 },
    );

    // Act
    const running = core.run(makeItems(2), { deadline: 650 });
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(routes['chat:m']![0]!.calls).toHaveLength(1);
    expect(core.stats().retries).toBe(0);
    expect(clock.now()).toBe(100);
    expect(outcomes).toEqual([
      {
        status: 'failed',
        id: 'i0',
        attempts: 1,
        error: { code: 'backend_unavailable', message: 'down', retryable: true, httpStatus: 503 },
      },
      { status: 'not_attempted', id: 'i1', reason: 'deadline' },
    ]);
  });

  it('aborts a call still in flight at the deadline: its items fail retryable with deadline_exceeded', async () => {
    // Prepare: the backend claims 100 ms but takes 5 s
    const { clock, core, resolver, routes } = buildCore(
      (c) => ({ 'chat:m': [new FakeBackend('A', c, { latencyMs: 5_000, expectedLatencyMs: 100 })] }),
      { deadlineSafetyMs: 500 },
    );

    // Act
    const running = core.run(makeItems(2), { deadline: 2_000 });
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(routes['chat:m']![0]!.calls[0]).toMatchObject({ aborted: true, endedAt: 2_000 });
    expect(outcomes.map((o) => o.status === 'failed' && o.error)).toEqual([
      expect.objectContaining({ code: 'deadline_exceeded', retryable: true, httpStatus: 504 }),
      expect.objectContaining({ code: 'deadline_exceeded', retryable: true, httpStatus: 504 }),
    ]);
    expect(resolver.records).toEqual([]);
  });
});

describe('BatchingCore: cancellation', () => {
  it('aborts the call in flight, starts no other, and hands back untouched items as not_attempted', async () => {
    // Prepare
    const { clock, core, routes } = buildCore((c) => ({
      'chat:m': [new FakeBackend('A', c, { maxBatchItems: 1, maxConcurrency: 1, latencyMs: 1_000 })],
    }));
    const backend = routes['chat:m']![0]!;
    const controller = new AbortController();

    // Act
    const running = core.run(makeItems(3), { signal: controller.signal });
    await clock.advance(500);
    controller.abort();
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(backend.calls).toHaveLength(1);
    expect(backend.calls[0]!.aborted).toBe(true);
    expect(outcomes).toEqual([
      { status: 'failed', id: 'i0', attempts: 1, error: expect.objectContaining({ code: 'cancelled', retryable: true }) },
      { status: 'not_attempted', id: 'i1', reason: 'cancelled' },
      { status: 'not_attempted', id: 'i2', reason: 'cancelled' },
    ]);
  });

  it('ends an item waiting for its retry with its last error when the caller leaves', async () => {
    // Prepare: throttled with Retry-After 10 s
    const { clock, core, routes } = buildCore((c) => ({
      'chat:m': [new FakeBackend('A', c, { behaviour: () => new BackendThrottledError('429', { retryAfterMs: 10_000 }) })],
    }));
    const controller = new AbortController();

    // Act
    const running = core.run(makeItems(1), { signal: controller.signal });
    await clock.advance(1_000);
    controller.abort();
    await clock.runAll();
    const [outcome] = await running;

    // Assess
    expect(routes['chat:m']![0]!.calls).toHaveLength(1);
    expect(outcome).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'rate_limit_exceeded', retryable: true, httpStatus: 429 },
    });
  });

  it('watches a shared signal with one listener, however many calls and waits watch it', async () => {
    // Prepare: 40 single-item calls of one run, 2 at a time, the rest waiting for a slot
    const { clock, core } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c, { maxBatchItems: 1, maxConcurrency: 2 })] }));
    const controller = new AbortController();

    // Act
    const running = core.run(makeItems(40), { signal: controller.signal, deadline: 1_000_000 });
    await clock.advance(150);
    const listenersMidRun = getEventListeners(controller.signal, 'abort').length;
    await clock.runAll();
    const outcomes = await running;

    // Assess: Node warns of a leak past 10 listeners on one signal
    expect(listenersMidRun).toBe(1);
    expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
  });

  it('does nothing for a run whose signal is already aborted', async () => {
    // Prepare
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c)] }));

    // Act
    const running = core.run(makeItems(2), { signal: AbortSignal.abort() });
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(routes['chat:m']![0]!.calls).toHaveLength(0);
    expect(outcomes.map((o) => o.status === 'not_attempted' && o.reason)).toEqual(['cancelled', 'cancelled']);
  });
});
