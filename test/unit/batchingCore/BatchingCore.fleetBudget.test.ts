import { BatchingCore } from '../../../shared/batchingCore/BatchingCore';
import { FleetBudget } from '../../../shared/batchingCore/FleetBudget';
import { FakeClock } from '../../helpers/FakeClock';
import { FakeBackend, FakeResolver, makeItems } from '../../helpers/fakeBackends';
import { MemoryLeaseStore } from '../../helpers/memoryLeaseStore';

/**
 * `containers` cores, each with its own limiter (up to 8) and fleet budget, against one
 * pool whose budget is `budget` calls; `inFlight()` is the pool's total at any moment.
 */
function fleetOfCores(containers: number, budget: number | undefined) {
  const clock = new FakeClock();
  const store = new MemoryLeaseStore();
  const backends: FakeBackend[] = [];
  let peak = 0;
  const inFlight = () => backends.reduce((sum, backend) => sum + backend.inFlight, 0);
  const cores = Array.from({ length: containers }, (_, i) => {
    const backend = new FakeBackend('gpu', clock, {
      maxBatchItems: 1,
      maxConcurrency: 8,
      latencyMs: 100,
      onStart: () => {
        peak = Math.max(peak, inFlight());
      },
    });
    if (budget !== undefined) Object.assign(backend, { fleetConcurrency: budget });
    backends.push(backend);
    const fleetBudget = new FleetBudget({ store, clock, holderId: `c${i}`, renewMs: 1_000, retryMs: 100, idleReturnMs: 200 });
    return new BatchingCore<string, string>(new FakeResolver({ 'chat:m': [backend] }), {
      clock,
      random: () => 0.5,
      initialConcurrency: 8,
      fleetBudget,
    });
  });
  return { clock, store, cores, peak: () => peak };
}

describe('BatchingCore with a fleet budget', () => {
  it('keeps four containers’ calls to one pool within its budget, and serves every item', async () => {
    // Prepare
    const { clock, store, cores, peak } = fleetOfCores(4, 6);

    // Act: each container runs 30 items, each container's own limit being 8
    const runs = cores.map((core, i) => core.run(makeItems(30, { prefix: `c${i}-` }), { tenantId: 't', priority: 'batch' }));
    await clock.runAll();
    const outcomes = (await Promise.all(runs)).flat();

    // Assess: never more than 6 in flight, though 32 could have been; the leases were given back
    expect(outcomes.filter((outcome) => outcome.status === 'succeeded')).toHaveLength(120);
    expect(peak()).toBe(6);
    expect(store.books.get('gpu')!.leases).toEqual({});
  });

  it('without a budget, the same containers each fill their own limit (the comparison)', async () => {
    // Prepare
    const { clock, cores, peak } = fleetOfCores(4, undefined);

    // Act
    const runs = cores.map((core, i) => core.run(makeItems(30, { prefix: `c${i}-` }), { tenantId: 't', priority: 'batch' }));
    await clock.runAll();
    await Promise.all(runs);

    // Assess
    expect(peak()).toBe(32);
  });

  it('gives up on items whose deadline passes while they wait for a lease, without calling the backend for them', async () => {
    // Prepare: one container holds the whole budget of 2 with long work
    const { clock, cores } = fleetOfCores(2, 2);
    const [first, second] = cores as [BatchingCore<string, string>, BatchingCore<string, string>];
    const busy = first.run(makeItems(20, { prefix: 'a' }), { tenantId: 't', priority: 'batch' });
    await clock.advance(1);

    // Act: the other's items could start at once (100 ms a call, 1 s of safety margin) but must be done within 1.15 s
    const late = second.run(makeItems(2, { prefix: 'b' }), { tenantId: 't', priority: 'batch', deadline: clock.now() + 1_150 });
    await clock.runAll();
    const outcomes = await late;
    await busy;

    // Assess
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['not_attempted', 'not_attempted']);
  });
});
