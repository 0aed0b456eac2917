import { BackendRejectedError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { buildCore } from '../../helpers/buildCore';
import { echo, FakeBackend, makeItems } from '../../helpers/fakeBackends';

describe('BatchingCore: poison isolation and fallback', () => {
  it('isolates a poison item by splitting: 7 succeed, it fails alone, not retryable', async () => {
    // Prepare: any call containing i5 is rejected whole; no retries at all are allowed,
    // which shows the splitting spends neither attempts nor budget
    const poisoned = (inputs: string[], call: number) =>
      inputs.includes('i5') ? new BackendRejectedError('invalid input', { status: 422 }) : echo(inputs, call);
    const { clock, core, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c, { behaviour: poisoned })] }), {
      maxAttempts: 1,
      minRetryBudget: 0,
      retryBudgetRatio: 0,
    });

    // Act
    const running = core.run(makeItems(8));
    await clock.runAll();
    const outcomes = await running;

    // Assess
    const succeeded = outcomes.filter((o) => o.status === 'succeeded');
    expect(succeeded.map((o) => o.id)).toEqual(['i0', 'i1', 'i2', 'i3', 'i4', 'i6', 'i7']);
    expect(succeeded.map((o) => o.status === 'succeeded' && o.value)).toEqual([
      'out:i0',
      'out:i1',
      'out:i2',
      'out:i3',
      'out:i4',
      'out:i6',
      'out:i7',
    ]);
    expect(outcomes[5]).toEqual({
      status: 'failed',
      id: 'i5',
      attempts: 4,
      error: { code: 'backend_rejected_request', message: 'invalid input', retryable: false, httpStatus: 422 },
    });
    expect(routes['chat:m']![0]!.calls.map((call) => call.inputs.length)).toEqual([8, 4, 4, 2, 2, 1, 1]);
    expect(core.stats()).toMatchObject({ splits: 3, retries: 0 });
  });

  it('sends the retry to a fallback when the first backend is unavailable, cut to its limits', async () => {
    // Prepare
    const { clock, core, resolver, routes } = buildCore((c) => ({
      'chat:m': [
        new FakeBackend('A', c, { behaviour: () => new BackendUnavailableError('down') }),
        new FakeBackend('B', c, { maxBatchItems: 2 }),
      ],
    }));

    // Act
    const running = core.run(makeItems(4));
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(resolver.resolves.map(({ avoid, chosen }) => ({ avoid, chosen }))).toEqual([
      { avoid: undefined, chosen: 'A' },
      { avoid: 'A', chosen: 'B' },
    ]);
    expect(resolver.records).toEqual([
      { backendId: 'A', result: 'failure' },
      { backendId: 'B', result: 'success' },
      { backendId: 'B', result: 'success' },
    ]);
    expect(routes['chat:m']![1]!.calls.map((call) => call.inputs)).toEqual([
      ['i0', 'i1'],
      ['i2', 'i3'],
    ]);
    expect(outcomes.map((o) => o.status === 'succeeded' && o.backendId)).toEqual(['B', 'B', 'B', 'B']);
    expect(outcomes.map((o) => o.status === 'succeeded' && o.attempts)).toEqual([2, 2, 2, 2]);
  });

  it('treats a throw that is not a BackendError as the backend being unavailable', async () => {
    // Prepare
    const { clock, core, resolver } = buildCore((c) => ({
      'chat:m': [
        new FakeBackend('A', c, { behaviour: (inputs, call) => (call === 0 ? new TypeError('socket hang up') : echo(inputs, call)) }),
      ],
    }));

    // Act
    const running = core.run(makeItems(2));
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(resolver.records.map((r) => r.result)).toEqual(['failure', 'success']);
    expect(resolver.resolves.map((r) => r.avoid)).toEqual([undefined, 'A']);
    expect(outcomes.every((o) => o.status === 'succeeded' && o.attempts === 2)).toBe(true);
  });

  it('retries when the resolver has no backend (all circuits open), then fails retryable without a call', async () => {
    // Prepare
    const { clock, core, resolver, routes } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c)] }), { maxAttempts: 3 });
    resolver.failWith = new BackendUnavailableError('every backend is failing', { code: 'all_backends_unavailable' });

    // Act
    const running = core.run(makeItems(2));
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(resolver.resolves).toHaveLength(3);
    expect(routes['chat:m']![0]!.calls).toHaveLength(0);
    expect(outcomes.map((o) => o.status === 'failed' && o.error)).toEqual([
      { code: 'all_backends_unavailable', message: 'every backend is failing', retryable: true, httpStatus: 503 },
      { code: 'all_backends_unavailable', message: 'every backend is failing', retryable: true, httpStatus: 503 },
    ]);
    expect(outcomes.map((o) => o.status === 'failed' && o.attempts)).toEqual([0, 0]);
  });

  it('has batch work wait for a circuit’s probe when every backend is skipped, and real-time work not', async () => {
    // Prepare: every circuit open, a probe allowed in 5 s
    const { clock, core, resolver } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c)] }));
    resolver.failWith = new BackendUnavailableError('every backend is failing', { code: 'all_backends_unavailable', retryAfterMs: 5_000 });
    const started = clock.now();

    // Act: batch work and real-time work meet the open circuits; they close after 5 s
    const batch = core.run(makeItems(1, { prefix: 'b' }), { priority: 'batch', deadline: started + 60_000 });
    const realtime = core.run(makeItems(1, { prefix: 'r' }), { deadline: started + 60_000 });
    await clock.advance(4_999);
    const resolvesBeforeProbe = resolver.resolves.filter((entry) => entry.chosen === undefined).length;
    resolver.failWith = undefined;
    await clock.runAll();
    const [batchOutcome] = await batch;
    const [realtimeOutcome] = await realtime;

    // Assess: the batch item tried once more only after the 5 s and was answered; the
    // real-time one spent its attempts at the backoff's pace and failed at once
    expect(batchOutcome).toMatchObject({ status: 'succeeded' });
    expect(realtimeOutcome).toMatchObject({ status: 'failed', error: { code: 'all_backends_unavailable' } });
    expect(resolvesBeforeProbe).toBe(1 + 4);
  });

  it('charges batch work’s waits for a probe neither attempts nor the retry budget, and fails what cannot wait with the circuit’s error', async () => {
    // Prepare: probes refused for 10 s, one look a second (more looks than maxAttempts 4)
    const { clock, core, resolver } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c)] }));
    resolver.failWith = new BackendUnavailableError('every backend is failing', { code: 'all_backends_unavailable', retryAfterMs: 1_000 });
    const started = clock.now();

    // Act
    const patient = core.run(makeItems(1, { prefix: 'p' }), { priority: 'batch', deadline: started + 60_000 });
    const hurried = core.run(makeItems(1, { prefix: 'h' }), { priority: 'batch', deadline: started + 500 });
    await clock.advance(10_000);
    resolver.failWith = undefined;
    await clock.runAll();
    const [patientOutcome] = await patient;
    const [hurriedOutcome] = await hurried;

    // Assess
    expect(patientOutcome).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(hurriedOutcome).toMatchObject({ status: 'failed', error: { code: 'all_backends_unavailable' } });
  });

  it('goes ahead once the resolver recovers', async () => {
    // Prepare
    const { clock, core, resolver } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c)] }));
    resolver.failWith = new BackendUnavailableError('circuit open');

    // Act
    const running = core.run(makeItems(1));
    await clock.settle();
    resolver.failWith = undefined;
    await clock.runAll();
    const [outcome] = await running;

    // Assess
    expect(outcome).toMatchObject({ status: 'succeeded', attempts: 1, backendId: 'A' });
  });
});
