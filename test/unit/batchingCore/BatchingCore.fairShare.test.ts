import type { BatchingOptions } from '../../../shared/batchingCore/types';
import { buildCore } from '../../helpers/buildCore';
import { FakeBackend, makeItems } from '../../helpers/fakeBackends';

/** One backend of `slots` slots (4 by default), one item per call, 100 ms a call. */
function pool(options: BatchingOptions = {}, slots = 4) {
  return buildCore(
    (clock) => ({ 'chat:m': [new FakeBackend('gpu', clock, { maxBatchItems: 1, maxConcurrency: slots, latencyMs: 100 })] }),
    {
      initialConcurrency: slots,
      ...options,
    },
  );
}

/** Inputs of the calls started at or after `from`, in start order. */
const startedSince = (calls: readonly { startedAt: number; inputs: string[] }[], from: number) =>
  calls.filter((call) => call.startedAt >= from).map((call) => call.inputs[0]!);

describe('BatchingCore: fair shares and real-time priority', () => {
  it('runs a small job beside a big one instead of behind it', async () => {
    // Prepare
    const { clock, core, routes } = pool();
    const gpu = routes['chat:m']![0]!;
    const settledAt = new Map<string, number>();
    const onSettled = (outcome: { id: string }) => settledAt.set(outcome.id, clock.now());

    // Act: a's 200 lines are queued first, b's 8 lines right after
    const big = core.run(makeItems(200, { prefix: 'a' }), { tenantId: 'a', priority: 'batch', onSettled });
    const small = core.run(makeItems(8, { prefix: 'b' }), { tenantId: 'b', priority: 'batch', onSettled });
    await clock.runAll();
    const [bigOutcomes, smallOutcomes] = await Promise.all([big, small]);

    // Assess: b holds half the slots from the first free one, so its 8 lines take 4 rounds, not 54
    const smallDone = Math.max(...smallOutcomes.map((outcome) => settledAt.get(outcome.id)!));
    expect(smallDone).toBeLessThanOrEqual(500);
    expect([...bigOutcomes, ...smallOutcomes].every((outcome) => outcome.status === 'succeeded')).toBe(true);
    expect(gpu.calls).toHaveLength(208);
  });

  it('without fair sharing, the same small job waits behind the big one (the comparison)', async () => {
    // Prepare
    const { clock, core } = pool({ fairShare: { enabled: false } });
    const settledAt = new Map<string, number>();
    const onSettled = (outcome: { id: string }) => settledAt.set(outcome.id, clock.now());

    // Act
    const big = core.run(makeItems(200, { prefix: 'a' }), { tenantId: 'a', priority: 'batch', onSettled });
    const small = core.run(makeItems(8, { prefix: 'b' }), { tenantId: 'b', priority: 'batch', onSettled });
    await clock.runAll();
    const [, smallOutcomes] = await Promise.all([big, small]);

    // Assess
    const smallDone = Math.max(...smallOutcomes.map((outcome) => settledAt.get(outcome.id)!));
    expect(smallDone).toBeGreaterThanOrEqual(5_000);
  });

  it('gives a tenant weighted 3 three times the slots of a tenant weighted 1', async () => {
    // Prepare
    const { clock, core, routes } = pool({ fairShare: { weights: { heavy: 3 } } });
    const gpu = routes['chat:m']![0]!;

    // Act
    const runs = [
      core.run(makeItems(100, { prefix: 'heavy' }), { tenantId: 'heavy', priority: 'batch' }),
      core.run(makeItems(100, { prefix: 'light' }), { tenantId: 'light', priority: 'batch' }),
    ];
    await clock.advance(1_050);
    const firstSecond = gpu.calls.filter((call) => call.startedAt >= 100);
    await clock.runAll();
    await Promise.all(runs);

    // Assess: from the second round on, 3 of every 4 calls are heavy's
    const heavy = firstSecond.filter((call) => call.inputs[0]!.startsWith('heavy')).length;
    expect(heavy / firstSecond.length).toBeCloseTo(0.75, 1);
  });

  it('starts another tenant’s real-time burst (within its share) before queued batch calls; the batch job completes every line', async () => {
    // Prepare: 8 slots; real-time was seen a moment ago, so batch keeps 2 of them free
    const { clock, core, routes } = pool({ fairShare: { realtimeReserve: 0.25 } }, 8);
    const gpu = routes['chat:m']![0]!;
    const warm = core.run(makeItems(1, { prefix: 'warm' }), { tenantId: 'app' });
    await clock.runAll();
    await warm;
    const job = core.run(makeItems(60, { prefix: 'line' }), { tenantId: 'a', priority: 'batch' });
    await clock.advance(250);

    // Act: a burst of 4 real-time requests while batch lines are still queued
    const burstAt = clock.now();
    const burst = core.run(makeItems(4, { prefix: 'rt' }), { tenantId: 'app' });
    await clock.runAll();
    const [jobOutcomes, burstOutcomes] = await Promise.all([job, burst]);

    // Assess
    const started = startedSince(gpu.calls, burstAt);
    expect(started.slice(0, 4).sort()).toEqual(['rt0', 'rt1', 'rt2', 'rt3']);
    // the reserve took two of them at once; the others took the first two slots batch freed
    expect(gpu.calls.filter((call) => call.inputs[0]!.startsWith('rt') && call.startedAt === burstAt)).toHaveLength(2);
    // batch yielded by not starting: no running call was cut, every line succeeded
    expect(gpu.calls.some((call) => call.aborted)).toBe(false);
    expect(jobOutcomes.map((outcome) => outcome.status)).toEqual(Array(60).fill('succeeded'));
    expect(burstOutcomes.every((outcome) => outcome.status === 'succeeded')).toBe(true);
  });

  it('starts a tenant’s own real-time calls before its queued batch lines, however many', async () => {
    // Prepare
    const { clock, core, routes } = pool({ fairShare: { realtimeReserve: 0 } });
    const gpu = routes['chat:m']![0]!;
    const job = core.run(makeItems(40, { prefix: 'line' }), { tenantId: 'acme', priority: 'batch' });
    await clock.advance(150);

    // Act
    const burstAt = clock.now();
    const burst = core.run(makeItems(10, { prefix: 'rt' }), { tenantId: 'acme' });
    await clock.runAll();
    const [jobOutcomes] = await Promise.all([job, burst]);

    // Assess: every call started after the burst arrived is real-time until the burst is served
    const started = startedSince(gpu.calls, burstAt);
    expect(started.slice(0, 10).every((input) => input.startsWith('rt'))).toBe(true);
    expect(jobOutcomes.every((outcome) => outcome.status === 'succeeded')).toBe(true);
  });

  it('gives batch the whole backend once real-time has been quiet for the hold (work-conserving)', async () => {
    // Prepare
    const { clock, core, routes } = pool({ fairShare: { realtimeReserve: 0.5, realtimeHoldMs: 1_000 } });
    const gpu = routes['chat:m']![0]!;
    const warm = core.run(makeItems(1, { prefix: 'warm' }), { tenantId: 'app' });
    await clock.runAll();
    await warm;

    // Act
    const job = core.run(makeItems(80, { prefix: 'line' }), { tenantId: 'a', priority: 'batch' });
    await clock.runAll();
    await job;

    // Assess: 2 of 4 slots while real-time was about, all 4 after
    const early = gpu.calls.filter((call) => call.inputs[0]!.startsWith('line') && call.startedAt < 900);
    const late = gpu.calls.filter((call) => call.inputs[0]!.startsWith('line') && call.startedAt > 1_200);
    expect(Math.max(...early.map((call) => call.inFlightAtStart))).toBe(2);
    expect(Math.max(...late.map((call) => call.inFlightAtStart))).toBe(4);
  });
});
