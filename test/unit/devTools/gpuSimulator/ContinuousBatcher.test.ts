import { ContinuousBatcher, type BatcherSettings, type StepRecord } from '../../../../shared/devTools/gpuSimulator/ContinuousBatcher';
import { SchedulerClosedError, SubmissionCancelledError } from '../../../../shared/devTools/gpuSimulator/GpuScheduler';
import { maxSequencesPerSecond } from '../../../../shared/devTools/gpuSimulator/SimulatorConfig';

/**
 * The generation engine is judged on the steps it plans (their durations follow from the
 * knobs, whatever the machine's load), never on the wall clock.
 */

const SETTINGS: BatcherSettings = {
  maxNumSeqs: 256,
  maxNumBatchedTokens: 8192,
  stepMs: 1,
  decodeMsPerSeq: 0.05,
  prefillMsPerToken: 0.01,
  tokensPerSecond: 0,
};

function recordingBatcher(overrides: Partial<BatcherSettings> = {}): { batcher: ContinuousBatcher; steps: StepRecord[] } {
  const steps: StepRecord[] = [];
  const settings = { ...SETTINGS, ...overrides };
  const batcher = new ContinuousBatcher({ settings: () => settings, onStep: (step) => steps.push(step) });
  return { batcher, steps };
}

/** Runs `count` sequences at once; tokens per planned millisecond and the mean step (each sequence's time per token). */
async function runAtConcurrency(count: number): Promise<{ tokensPerMs: number; msPerToken: number }> {
  const { batcher, steps } = recordingBatcher();
  const sequences = Array.from({ length: count }, () => batcher.add(10, 20));
  await Promise.all(sequences.map((sequence) => sequence.done));
  const plannedMs = steps.reduce((sum, step) => sum + step.plannedMs, 0);
  return { tokensPerMs: (count * 20) / plannedMs, msPerToken: plannedMs / steps.length };
}

describe('ContinuousBatcher', () => {
  it('reads a prompt in one step, which yields the first token, then decodes one token a step', async () => {
    // Prepare
    const { batcher, steps } = recordingBatcher();
    const seen: number[] = [];

    // Act
    const sequence = batcher.add(5, 4);
    sequence.onProduce = (produced) => seen.push(produced);
    await sequence.firstToken;
    const stepsAtFirstToken = steps.length;
    const outcome = await sequence.done;

    // Assess
    expect(stepsAtFirstToken).toBe(1);
    expect(outcome).toBe('complete');
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(steps.map((step) => [step.prefillTokens, step.decoded])).toEqual([
      [5, 0],
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
    expect(steps[0]!.plannedMs).toBeCloseTo(1 + 5 * 0.01, 9);
    expect(steps[1]!.plannedMs).toBeCloseTo(1 + 0.05, 9);
  });

  it('delivers more tokens per millisecond as concurrency rises, and each token takes longer', async () => {
    // Act
    const one = await runAtConcurrency(1);
    const eight = await runAtConcurrency(8);
    const sixtyFour = await runAtConcurrency(64);

    // Assess
    expect(eight.tokensPerMs).toBeGreaterThan(one.tokensPerMs * 4);
    expect(sixtyFour.tokensPerMs).toBeGreaterThan(eight.tokensPerMs * 2);
    expect(eight.msPerToken).toBeGreaterThan(one.msPerToken);
    expect(sixtyFour.msPerToken).toBeGreaterThan(eight.msPerToken);
  });

  it('runs at most maxNumSeqs sequences; the others wait and join as places free up', async () => {
    // Prepare
    const { batcher, steps } = recordingBatcher({ maxNumSeqs: 4 });

    // Act
    const sequences = Array.from({ length: 10 }, () => batcher.add(3, 5));
    const waitingAtStart = batcher.waitingSequences;
    const outcomes = await Promise.all(sequences.map((sequence) => sequence.done));

    // Assess
    expect(waitingAtStart).toBe(10);
    expect(outcomes.every((outcome) => outcome === 'complete')).toBe(true);
    expect(Math.max(...steps.map((step) => step.running))).toBe(4);
    expect(steps.reduce((sum, step) => sum + step.decoded, 0)).toBe(10 * 4);
    expect(batcher.runningSequences + batcher.waitingSequences).toBe(0);
  });

  it('reads prompts in chunks of at most maxNumBatchedTokens, decode tokens first', async () => {
    // Prepare
    const { batcher, steps } = recordingBatcher({ maxNumBatchedTokens: 64 });

    // Act
    const sequences = [batcher.add(100, 3), batcher.add(100, 3)];
    await Promise.all(sequences.map((sequence) => sequence.done));

    // Assess: the first prompt is read by the end of step two, so in step three its decode
    // token comes out of the budget before the second prompt's chunk.
    expect(steps.reduce((sum, step) => sum + step.prefillTokens, 0)).toBe(200);
    expect(steps.every((step) => step.prefillTokens + step.decoded <= 64)).toBe(true);
    expect(steps.slice(0, 4).map((step) => [step.prefillTokens, step.decoded])).toEqual([
      [64, 0],
      [64, 0],
      [63, 1],
      [9, 1],
    ]);
  });

  it('slows every step to 1000 / tokensPerSecond ms at least', async () => {
    // Prepare
    const { batcher, steps } = recordingBatcher({ tokensPerSecond: 100 });

    // Act
    await batcher.add(2, 3).done;

    // Assess
    expect(steps.map((step) => step.plannedMs)).toEqual([10, 10, 10]);
  });

  it('cancels a waiting sequence before its first token, and stops a running one where it is', async () => {
    // Prepare
    const { batcher } = recordingBatcher({ maxNumSeqs: 1, tokensPerSecond: 200 });
    const running = batcher.add(2, 50);
    const waiting = batcher.add(2, 50);
    await running.firstToken;

    // Act
    batcher.stop(waiting);
    batcher.stop(running);

    // Assess
    await expect(waiting.firstToken).rejects.toBeInstanceOf(SubmissionCancelledError);
    expect(await waiting.done).toBe('cancelled');
    expect(await running.done).toBe('cancelled');
    expect(running.produced).toBeLessThan(50);
    expect(batcher.runningSequences + batcher.waitingSequences).toBe(0);
  });

  it('leaves when its signal aborts, and fails what waits with SchedulerClosedError on close', async () => {
    // Prepare
    const { batcher } = recordingBatcher({ maxNumSeqs: 1, tokensPerSecond: 200 });
    const controller = new AbortController();
    const aborted = batcher.add(2, 50, controller.signal);
    const waiting = batcher.add(2, 50);

    // Act
    controller.abort();
    const abortedOutcome = await aborted.done;
    batcher.close();

    // Assess
    expect(abortedOutcome).toBe('cancelled');
    await expect(waiting.firstToken).rejects.toBeInstanceOf(SchedulerClosedError);
    expect(() => batcher.add(1, 1)).toThrow(SchedulerClosedError);
  });

  it('reaches the ceiling of maxSequencesPerSecond in planned time when the queue never runs dry', async () => {
    // Prepare: 8 places, 100 requests of 6 prompt and 10 completion tokens, all queued at once.
    const settings = { maxNumSeqs: 8, decodeMsPerSeq: 0.1, prefillMsPerToken: 0.01 };
    const { batcher, steps } = recordingBatcher(settings);

    // Act
    await Promise.all(Array.from({ length: 100 }, () => batcher.add(6, 10).done));

    // Assess
    const plannedMs = steps.reduce((sum, step) => sum + step.plannedMs, 0);
    const ceiling = maxSequencesPerSecond({ ...SETTINGS, ...settings }, { promptTokens: 6, completionTokens: 10 });
    expect(ceiling).toBeCloseTo(1000 / (1 * (10 / 8) + 9 * 0.1 + 6 * 0.01), 9);
    expect((100 * 1000) / plannedMs / ceiling).toBeGreaterThan(0.97);
    expect((100 * 1000) / plannedMs / ceiling).toBeLessThanOrEqual(1 + 1e-9);
  });
});
