import type { CallReport, RetryReport } from '../../../shared/batchingCore/types';
import { BackendThrottledError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { buildCore } from '../../helpers/buildCore';
import { echo, FakeBackend, makeItems } from '../../helpers/fakeBackends';

/** An observer that keeps what the core tells it. */
function recorder() {
  const calls: CallReport[] = [];
  const retries: RetryReport[] = [];
  return {
    calls,
    retries,
    observer: { onCall: (report: CallReport) => calls.push(report), onRetry: (report: RetryReport) => retries.push(report) },
  };
}

describe('BatchingCore: observer port', () => {
  it('reports each call with its items, duration and tokens', async () => {
    // Prepare
    const { calls, observer } = recorder();
    const { clock, core } = buildCore((c) => ({ 'embeddings:m': [new FakeBackend('A', c, { latencyMs: 100, maxBatchItems: 3 })] }), {
      observer,
    });

    // Act
    const running = core.run(makeItems(5, { route: 'embeddings:m' }));
    await clock.runAll();
    await running;

    // Assess: 5 items packed 3 + 2
    expect(calls.map((call) => call.items).sort()).toEqual([2, 3]);
    expect(
      calls.every((call) => call.result === 'ok' && call.backendId === 'A' && call.durationMs === 100 && call.route === 'embeddings:m'),
    ).toBe(true);
    expect(calls.reduce((sum, call) => sum + call.inputTokens + call.outputTokens, 0)).toBe(10);
  });

  it('reports a failed call with its code, a throttled one, and the retries they caused', async () => {
    // Prepare: A fails once, then throttles once, then answers.
    const { calls, retries, observer } = recorder();
    const behaviour = (inputs: string[], call: number) =>
      call === 0 ? new BackendUnavailableError('502') : call === 1 ? new BackendThrottledError('429') : echo(inputs, call);
    const { clock, core } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c, { latencyMs: 0, behaviour })] }), { observer });

    // Act
    const running = core.run(makeItems(1));
    await clock.runAll();
    const [outcome] = await running;

    // Assess
    expect(outcome).toMatchObject({ status: 'succeeded' });
    expect(calls.map((call) => [call.result, call.code])).toEqual([
      ['failed', 'backend_unavailable'],
      ['throttled', 'rate_limit_exceeded'],
      ['ok', undefined],
    ]);
    expect(retries).toEqual([
      { route: 'chat:m', backendId: 'A', items: 1, code: 'backend_unavailable' },
      { route: 'chat:m', backendId: 'A', items: 1, code: 'rate_limit_exceeded' },
    ]);
  });

  it('serves its items even when the observer throws', async () => {
    // Prepare
    const observer = {
      onCall: () => {
        throw new Error('broken observer');
      },
    };
    const { clock, core } = buildCore((c) => ({ 'chat:m': [new FakeBackend('A', c)] }), { observer });

    // Act
    const running = core.run(makeItems(2));
    await clock.runAll();
    const outcomes = await running;

    // Assess
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['succeeded', 'succeeded']);
  });
});
