import { BatchingCore } from '../../../shared/batchingCore/BatchingCore';
import type { Backend, BatchItem, ItemResult } from '../../../shared/batchingCore/types';
import { startSimulator, type RunningSimulator } from '../../../shared/devTools/gpuSimulator/server';

/**
 * Real-time priority against the GPU simulator: a batch job holds the pool, a burst of
 * real-time requests arrives, and the burst's calls start before the job's queued lines
 * while the job still completes every line. Only order and counts are asserted; the
 * latency figure (within 1.5× of an idle pool's, or not) is benchmark item 10's.
 */
describe('real-time priority on a GPU pool (batching core against the GPU simulator)', () => {
  let sim: RunningSimulator;

  beforeAll(async () => {
    // 2 slots of 4 items: 8 requests at once, 30 ms a pass and 1 ms an item.
    sim = await startSimulator({ port: 0, passMs: 30, itemMs: 1, slots: 2, maxItemsPerPass: 4 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('starts a burst of real-time requests before the queued lines of a running batch job, and the job completes every line', async () => {
    // Prepare
    const started: string[] = [];
    const backend: Backend<string, string> = {
      id: 'gpu-pool',
      maxBatchItems: 1,
      maxBatchTokens: 100_000,
      maxConcurrency: 8,
      expectedLatencyMs: 40,
      async invoke(inputs, { signal }): Promise<ItemResult<string>[]> {
        started.push(...inputs);
        const response = await fetch(`${sim.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-oss-20b', max_tokens: 5, messages: [{ role: 'user', content: inputs[0] }] }),
          signal,
        });
        await response.json();
        if (!response.ok) throw new Error(`simulator answered ${response.status}`);
        return inputs.map((input) => ({ ok: true, value: input, usage: { promptTokens: 1, completionTokens: 1 } }));
      },
    };
    const core = new BatchingCore<string, string>({ resolve: () => backend, record: () => undefined }, { initialConcurrency: 8 });
    const items = (prefix: string, count: number): BatchItem<string>[] =>
      Array.from({ length: count }, (_, index) => ({
        id: `${prefix}${index}`,
        route: 'chat',
        input: `${prefix}${index}`,
        estimatedTokens: 10,
      }));
    let settledLines = 0;
    let firstRoundDone!: () => void;
    const firstRound = new Promise<void>((resolve) => {
      firstRoundDone = resolve;
    });
    const job = core.run(items('line', 60), {
      tenantId: 'nightly',
      priority: 'batch',
      onSettled: () => {
        settledLines += 1;
        if (settledLines === 8) firstRoundDone();
      },
    });
    // The burst comes as the first lines end: 52 lines are still to start.
    await firstRound;

    // Act: a burst of 4 real-time requests (half the pool: the app's fair share) while lines are queued
    const before = started.length;
    const burst = core.run(items('rt', 4), { tenantId: 'app' });
    const [lines, answers] = await Promise.all([job, burst]);

    // Assess
    const after = started.slice(before);
    const queuedLinesStartedBeforeLastRealtime = after.slice(0, after.indexOf('rt3')).filter((input) => input.startsWith('line')).length;
    expect(after.slice(0, 4).sort()).toEqual(['rt0', 'rt1', 'rt2', 'rt3']);
    expect(queuedLinesStartedBeforeLastRealtime).toBe(0);
    expect(answers.map((outcome) => outcome.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(lines.filter((outcome) => outcome.status === 'succeeded')).toHaveLength(60);
    expect(started.filter((input) => input.startsWith('line'))).toHaveLength(60);
  });
});
