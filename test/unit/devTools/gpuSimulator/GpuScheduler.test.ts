import {
  GpuScheduler,
  SchedulerClosedError,
  SubmissionCancelledError,
  type PassRecord,
  type SchedulerSettings,
} from '../../../../shared/devTools/gpuSimulator/GpuScheduler';

/** A scheduler whose passes are recorded, with settings the test can change. */
function recordingScheduler(settings: SchedulerSettings): {
  scheduler: GpuScheduler;
  passes: PassRecord[];
  peakBusy: () => number;
  settings: SchedulerSettings;
} {
  const passes: PassRecord[] = [];
  let peak = 0;
  const scheduler = new GpuScheduler({
    settings: () => settings,
    onPassStart: (_items, busy) => {
      peak = Math.max(peak, busy);
    },
    onPassEnd: (pass) => passes.push(pass),
  });
  return { scheduler, passes, peakBusy: () => peak, settings };
}

describe('GpuScheduler', () => {
  it('batches ten single-item requests that arrive together into one pass', async () => {
    // Prepare
    const { scheduler, passes } = recordingScheduler({ passMs: 20, itemMs: 0, slots: 1, maxItemsPerPass: 64 });

    // Act
    await Promise.all(Array.from({ length: 10 }, () => scheduler.submit(1)));

    // Assess
    expect(passes.map((pass) => pass.items)).toEqual([10]);
  });

  it('needs two passes for 65 items when a pass carries at most 64', async () => {
    // Prepare
    const { scheduler, passes } = recordingScheduler({ passMs: 5, itemMs: 0, slots: 1, maxItemsPerPass: 64 });

    // Act
    await scheduler.submit(65);

    // Assess
    expect(passes.map((pass) => pass.items)).toEqual([64, 1]);
  });

  it('lets items of different requests share a pass, in FIFO order', async () => {
    // Prepare
    const { scheduler, passes } = recordingScheduler({ passMs: 10, itemMs: 0, slots: 1, maxItemsPerPass: 4 });
    const settled: string[] = [];

    // Act
    await Promise.all([scheduler.submit(3).then(() => settled.push('first')), scheduler.submit(5).then(() => settled.push('second'))]);

    // Assess: pass one = 3 of the first + 1 of the second; pass two = the other 4.
    expect(passes.map((pass) => pass.items)).toEqual([4, 4]);
    expect(settled).toEqual(['first', 'second']);
  });

  it('runs at most `slots` passes at once', async () => {
    // Prepare
    const { scheduler, passes, peakBusy } = recordingScheduler({ passMs: 10, itemMs: 0, slots: 2, maxItemsPerPass: 1 });

    // Act
    await Promise.all(Array.from({ length: 5 }, () => scheduler.submit(1)));

    // Assess
    expect(passes).toHaveLength(5);
    expect(peakBusy()).toBe(2);
    expect(scheduler.busySlots).toBe(0);
    expect(scheduler.queuedItems).toBe(0);
  });

  it('plans each pass as passMs + items * itemMs, reading the settings at every pass', async () => {
    // Prepare
    const { scheduler, passes, settings } = recordingScheduler({ passMs: 5, itemMs: 0.5, slots: 1, maxItemsPerPass: 8 });

    // Act
    await scheduler.submit(8);
    settings.passMs = 2;
    settings.maxItemsPerPass = 2;
    await scheduler.submit(4);

    // Assess
    expect(passes.map((pass) => [pass.items, pass.plannedMs])).toEqual([
      [8, 9],
      [2, 3],
      [2, 3],
    ]);
  });

  it('settles an empty submission at once and rejects waiting work on close', async () => {
    // Prepare
    const { scheduler, passes } = recordingScheduler({ passMs: 10_000, itemMs: 0, slots: 1, maxItemsPerPass: 1 });

    // Act
    await scheduler.submit(0);
    const waiting = scheduler.submit(3);
    scheduler.close();

    // Assess
    await expect(waiting).rejects.toBeInstanceOf(SchedulerClosedError);
    await expect(scheduler.submit(1)).rejects.toBeInstanceOf(SchedulerClosedError);
    expect(passes).toHaveLength(0);
  });

  it('takes an aborted submission off the queue at once, and the next one gets its place', async () => {
    // Prepare: one slot, busy with a first pass.
    const { scheduler, passes } = recordingScheduler({ passMs: 40, itemMs: 0, slots: 1, maxItemsPerPass: 2 });
    const first = scheduler.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const controller = new AbortController();
    const aborted = scheduler.submit(5, controller.signal);
    const after = scheduler.submit(1);

    // Act
    controller.abort();
    const outcome = await aborted.then(
      () => 'done',
      (error: Error) => error,
    );
    await Promise.all([first, after]);

    // Assess
    expect(outcome).toBeInstanceOf(SubmissionCancelledError);
    expect(scheduler.queuedItems).toBe(0);
    expect(passes.map((pass) => pass.items)).toEqual([1, 1]);
  });

  it('rejects at once a submission whose signal has already aborted', async () => {
    // Prepare
    const { scheduler } = recordingScheduler({ passMs: 1, itemMs: 0, slots: 1, maxItemsPerPass: 2 });

    // Act
    const outcome = await scheduler.submit(1, AbortSignal.abort()).then(
      () => 'done',
      (error: Error) => error,
    );

    // Assess
    expect(outcome).toBeInstanceOf(SubmissionCancelledError);
    expect(scheduler.queuedItems).toBe(0);
  });
});
