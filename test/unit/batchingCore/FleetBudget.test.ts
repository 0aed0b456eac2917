import { FleetBudget, type FleetBudgetOptions } from '../../../shared/batchingCore/FleetBudget';
import type { Claim } from '../../../shared/batchingCore/FairShare';
import { FakeClock } from '../../helpers/FakeClock';
import { MemoryLeaseStore } from '../../helpers/memoryLeaseStore';

const pool = { id: 'gpu', fleetConcurrency: 8 };
const batchCall = (tenantId: string): Claim => ({ tenantId, priority: 'batch' });
const realtimeCall = (tenantId: string): Claim => ({ tenantId, priority: 'realtime' });

/** Containers sharing one store and one clock. */
function fleet(count: number, options: Partial<FleetBudgetOptions> = {}) {
  const clock = new FakeClock();
  const store = new MemoryLeaseStore();
  const containers = Array.from(
    { length: count },
    (_, i) => new FleetBudget({ store, clock, holderId: `c${i}`, ttlMs: 20_000, renewMs: 5_000, retryMs: 500, ...options }),
  );
  return { clock, store, containers };
}

/** Starts `count` calls of `tenant` (batch calls, unless a claim says otherwise) on a container; each resolves once its slot is granted. */
function start(budget: FleetBudget, tenant: string | Claim, count: number, limit = 64): { granted: () => number; done: Promise<void>[] } {
  let granted = 0;
  const done = Array.from({ length: count }, () =>
    budget
      .acquire(pool, typeof tenant === 'string' ? batchCall(tenant) : tenant, () => limit)
      .then(() => {
        granted += 1;
      }),
  );
  return { granted: () => granted, done };
}

describe('FleetBudget', () => {
  it('keeps the calls of every container together within the backend’s budget', async () => {
    // Prepare
    const { clock, store, containers } = fleet(3);

    // Act: each container has 8 calls to make
    const calls = containers.map((budget) => start(budget, 'a', 8));
    await clock.advance(10);
    const first = calls.map((call) => call.granted());

    // Assess: 8 started in all, the first writer holding them; no more than 8 recorded
    expect(first.reduce((sum, n) => sum + n, 0)).toBe(8);
    expect(store.slotsByTenant('gpu', clock.now())).toEqual({ a: 8 });
  });

  it('moves slots to the containers that wait as the holder renews and its calls end, converging on equal parts', async () => {
    // Prepare
    const { clock, store, containers } = fleet(2);
    const [c0, c1] = containers as [FleetBudget, FleetBudget];
    const first = start(c0, 'a', 8);
    await clock.advance(10);
    const second = start(c1, 'a', 8);
    await clock.advance(10);
    expect([first.granted(), second.granted()]).toEqual([8, 0]);

    // Act: c0 renews (told its share is 4), then finishes 4 calls and starts 4 more of its backlog
    await clock.advance(5_000);
    for (let i = 0; i < 4; i += 1) c0.release(pool, batchCall('a'));
    const more = start(c0, 'a', 4);
    await clock.advance(1_000);

    // Assess: c0 started none of the 4 new ones; c1 has 4; never more than 8 held
    expect(more.granted()).toBe(0);
    expect(second.granted()).toBe(4);
    expect(c0.snapshot('gpu').inFlight).toEqual({ a: 4 });
    expect(store.slotsByTenant('gpu', clock.now())).toEqual({ a: 8 });
    for (const budget of containers) budget.close();
  });

  it('shares a contended budget between tenants by weight across containers; a tenant alone gets all of it', async () => {
    // Prepare: tenant a (weight 3) on c0, tenant b (weight 1) on c1, budget 8
    const { clock, store, containers } = fleet(2, { fairShare: { weights: { a: 3 } } });
    const [c0, c1] = containers as [FleetBudget, FleetBudget];
    const alone = start(c0, 'a', 8);
    await clock.advance(10);
    const aloneGranted = alone.granted();

    // Act: b arrives; a's calls end one by one and a keeps asking for 8
    const b = start(c1, 'b', 8);
    await clock.advance(10);
    await clock.advance(5_000);
    for (let i = 0; i < 8; i += 1) c0.release(pool, batchCall('a'));
    const aAgain = start(c0, 'a', 8);
    await clock.advance(2_000);

    // Assess
    expect(aloneGranted).toBe(8);
    expect([aAgain.granted(), b.granted()]).toEqual([6, 2]);
    expect(store.slotsByTenant('gpu', clock.now())).toEqual({ a: 6, b: 2 });
    for (const budget of containers) budget.close();
  });

  it('renews while busy, gives the slots back once idle, and writes per lease, not per call', async () => {
    // Prepare
    const { clock, store, containers } = fleet(1, { idleReturnMs: 1_000 });
    const [c0] = containers as [FleetBudget];

    // Act: 100 calls of 4 at a time over 30 s
    for (let round = 0; round < 25; round += 1) {
      const batch = start(c0, 'a', 4, 4);
      await clock.advance(1_200);
      expect(batch.granted()).toBe(4);
      for (let i = 0; i < 4; i += 1) c0.release(pool, batchCall('a'));
    }
    const writesWhileBusy = store.writes;
    const heldWhileBusy = store.slotsByTenant('gpu', clock.now());
    await clock.advance(1_000);

    // Assess: one claim plus a renewal every 5 s; after the idle second, the book is empty and no timer is left
    expect(writesWhileBusy).toBeLessThanOrEqual(8);
    expect(heldWhileBusy).toEqual({ a: 4 });
    expect(store.books.get('gpu')!.leases).toEqual({});
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets a crashed container’s lease lapse at its expiry, then the others take its slots', async () => {
    // Prepare: c0 takes everything, then its process dies (no more writes)
    const { clock, containers } = fleet(2);
    const [c0, c1] = containers as [FleetBudget, FleetBudget];
    start(c0, 'a', 8);
    await clock.advance(10);
    c0.close();

    // Act
    const waiting = start(c1, 'a', 8);
    await clock.advance(19_000);
    const before = waiting.granted();
    await clock.advance(1_500);

    // Assess
    expect(before).toBe(0);
    expect(waiting.granted()).toBe(8);
    c1.close();
  });

  describe('at the end of an invocation (returnIdle)', () => {
    it('gives the unused slots back in one write, so a waiting container gets them at once though this one is then frozen', async () => {
      // Prepare: c0 holds the whole budget for 8 calls; c1 waits for slots
      const { clock, store, containers } = fleet(2);
      const [c0, c1] = containers as [FleetBudget, FleetBudget];
      start(c0, 'a', 8);
      await clock.advance(10);
      const waiting = start(c1, 'a', 8);
      await clock.advance(10);
      for (let i = 0; i < 8; i += 1) c0.release(pool, batchCall('a'));
      const writesBefore = store.writes;

      // Act: the invocation ends: c0 gives its leases back, then is frozen (no timer of its runs)
      await c0.returnIdle();
      const writesOfReturn = store.writes - writesBefore;
      c0.close();
      await clock.advance(600);

      // Assess: c1 has all 8 within its retry period, far before c0's lease would have lapsed
      expect(writesOfReturn).toBe(1);
      expect(Object.values(store.books.get('gpu')!.leases).filter((entry) => entry.holder === 'c0')).toEqual([]);
      expect(waiting.granted()).toBe(8);
      expect(store.slotsByTenant('gpu', clock.now())).toEqual({ a: 8 });
      c1.close();
    });

    it('keeps the slots of calls still running and gives back the rest', async () => {
      // Prepare
      const { clock, store, containers } = fleet(2);
      const [c0, c1] = containers as [FleetBudget, FleetBudget];
      start(c0, 'a', 8);
      await clock.advance(10);
      const waiting = start(c1, 'a', 8);
      await clock.advance(10);
      for (let i = 0; i < 5; i += 1) c0.release(pool, batchCall('a'));

      // Act
      await c0.returnIdle();
      await clock.advance(600);

      // Assess: c0 keeps 3 for its 3 running calls; c1 takes the 5 given back
      expect(c0.snapshot('gpu')).toMatchObject({ slots: { a: 3 }, inFlight: { a: 3 } });
      expect(waiting.granted()).toBe(5);
      expect(store.slotsByTenant('gpu', clock.now())).toEqual({ a: 8 });
      for (const budget of containers) budget.close();
    });

    it('writes nothing when it holds nothing (an invocation that called no budgeted backend, or a second return)', async () => {
      // Prepare
      const { clock, store, containers } = fleet(1);
      const [c0] = containers as [FleetBudget];
      await c0.returnIdle();
      const untouched = store.writes + store.reads;
      start(c0, 'a', 2);
      await clock.advance(10);
      c0.release(pool, batchCall('a'));
      c0.release(pool, batchCall('a'));
      await c0.returnIdle();
      const afterReturn = store.writes;

      // Act
      await c0.returnIdle();

      // Assess
      expect(untouched).toBe(0);
      expect(store.writes).toBe(afterReturn);
      expect(store.books.get('gpu')!.leases).toEqual({});
      expect(clock.pendingTimers).toBe(0);
    });

    it('waits for a write under way, then gives the slots back in the next', async () => {
      // Prepare: a store whose writes wait while the gate is closed
      let gate: Promise<void> | undefined;
      let open = () => {};
      const clock = new FakeClock();
      const store = new MemoryLeaseStore({ delay: () => gate ?? Promise.resolve() });
      const c0 = new FleetBudget({ store, clock, holderId: 'c0', ttlMs: 20_000, renewMs: 5_000, retryMs: 500 });
      start(c0, 'a', 8);
      await clock.advance(10);
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      await clock.advance(5_000); // the renewal's write starts, and waits
      for (let i = 0; i < 8; i += 1) c0.release(pool, batchCall('a'));

      // Act
      let returned = false;
      const returning = c0.returnIdle().then(() => {
        returned = true;
      });
      await clock.settle();
      const beforeTheWrite = returned;
      gate = undefined;
      open();
      await returning;

      // Assess
      expect(beforeTheWrite).toBe(false);
      expect(store.books.get('gpu')!.leases).toEqual({});
      c0.close();
    });

    it('counts a write under way as holding: slots it grants after its call left go back before the return ends', async () => {
      // Prepare: the first write (for one waiting call) waits; the call's deadline aborts it meanwhile.
      let open = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const clock = new FakeClock();
      const store = new MemoryLeaseStore({ delay: () => gate });
      const c0 = new FleetBudget({ store, clock, holderId: 'c0', ttlMs: 20_000, renewMs: 5_000, retryMs: 500 });
      const controller = new AbortController();
      const call = c0.acquire(pool, batchCall('a'), () => 64, controller.signal).catch(() => 'aborted');
      await clock.settle();
      controller.abort(new Error('deadline'));

      // Act: the invocation ends while the write is still under way.
      const returning = c0.returnIdle();
      open();
      await returning;
      await clock.settle();

      // Assess: the write's grant was handed back, nothing of c0 is left in the book.
      expect(await call).toBe('aborted');
      expect(store.books.get('gpu')?.leases ?? {}).toEqual({});
      c0.close();
    });

    it('leaves the lease of a container that crashed mid-invocation (no return) to lapse at its expiry, as before', async () => {
      // Prepare: c0's calls ended, but its process died before the invocation's end
      const { clock, containers } = fleet(2);
      const [c0, c1] = containers as [FleetBudget, FleetBudget];
      start(c0, 'a', 8);
      await clock.advance(10);
      const waiting = start(c1, 'a', 8);
      await clock.advance(10);
      for (let i = 0; i < 8; i += 1) c0.release(pool, batchCall('a'));
      c0.close();

      // Act
      await clock.advance(19_000);
      const beforeExpiry = waiting.granted();
      await clock.advance(1_500);

      // Assess
      expect(beforeExpiry).toBe(0);
      expect(waiting.granted()).toBe(8);
      c1.close();
    });
  });

  describe('real-time ahead of batch', () => {
    it('grants a waiting real-time call of a tenant before its earlier batch calls, and announces its real-time demand in the book', async () => {
      // Prepare: c0 runs 8 batch calls of tenant a (the whole budget); 2 more batch calls wait, then a real-time one
      const { clock, store, containers } = fleet(1);
      const [c0] = containers as [FleetBudget];
      start(c0, 'a', 8);
      await clock.advance(10);
      const lines = start(c0, 'a', 2);
      const request = start(c0, realtimeCall('a'), 1);
      await clock.advance(10);
      const direct = c0.tryAcquire(pool, realtimeCall('a'), () => 64);

      // Act: one batch call ends
      c0.release(pool, batchCall('a'));
      await clock.advance(600);

      // Assess: the real-time call took the freed slot; the book says 1 of the 10 slots wanted is real-time
      expect(direct).toBe(false);
      expect([request.granted(), lines.granted()]).toEqual([1, 0]);
      expect(store.books.get('gpu')!.leases['c0|a']).toMatchObject({ slots: 8, want: 10, realtime: 1 });
      c0.close();
    });

    it('moves a tenant’s slots from a worker’s batch calls to another container’s real-time calls beyond an equal split', async () => {
      // Prepare: worker c0 holds the budget of 8 for tenant a's batch calls, and has more waiting
      const { clock, store, containers } = fleet(2);
      const [c0, c1] = containers as [FleetBudget, FleetBudget];
      start(c0, 'a', 16);
      await clock.advance(10);

      // Act: API container c1 has 6 real-time calls of tenant a; the worker renews, and its calls end one by one
      const requests = start(c1, realtimeCall('a'), 6);
      await clock.advance(5_000);
      for (let i = 0; i < 8; i += 1) c0.release(pool, batchCall('a'));
      await clock.advance(1_000);

      // Assess: real-time has its 6 (an equal split would give it 4); the worker keeps the 2 left
      expect(requests.granted()).toBe(6);
      expect(c0.snapshot('gpu').inFlight).toEqual({ a: 2 });
      expect(store.slotsByTenant('gpu', clock.now())).toEqual({ a: 8 });
      for (const budget of containers) budget.close();
    });
  });

  it('falls back to the container’s own limits when the store fails, and says so', async () => {
    // Prepare
    const errors: unknown[] = [];
    const { clock, store, containers } = fleet(1, { onError: (error) => errors.push(error) });
    const [c0] = containers as [FleetBudget];
    store.failWith = new Error('table unreachable');

    // Act
    const calls = start(c0, 'a', 12);
    await clock.advance(10);

    // Assess: the calls run (no halt), the error is reported, the container is marked
    expect(calls.granted()).toBe(12);
    expect(errors).toHaveLength(1);
    expect(c0.snapshot('gpu').failOpen).toBe(true);
    c0.close();
  });

  it('passes calls to a backend without a budget straight through, writing nothing', async () => {
    // Prepare
    const { store, containers } = fleet(1);
    const [c0] = containers as [FleetBudget];

    // Act
    const taken = Array.from({ length: 100 }, () => c0.tryAcquire({ id: 'bedrock' }, batchCall('a'), () => 4));

    // Assess
    expect(taken.every(Boolean)).toBe(true);
    expect(store.writes + store.reads).toBe(0);
  });

  it('asks for no more than the container’s own learned limit', async () => {
    // Prepare
    const { clock, store, containers } = fleet(1);
    const [c0] = containers as [FleetBudget];

    // Act: 8 calls wait, but the container's limiter allows 3
    const calls = start(c0, 'a', 8, 3);
    await clock.advance(10);

    // Assess
    expect(calls.granted()).toBe(3);
    expect(store.slotsByTenant('gpu', clock.now())).toEqual({ a: 3 });
    c0.close();
  });

  it('follows the learned limit as it grows while calls wait (a limiter in slow start)', async () => {
    // Prepare: the container's limiter allows 2 at first
    const { clock, store, containers } = fleet(1);
    const [c0] = containers as [FleetBudget];
    let limit = 2;
    let granted = 0;
    for (let i = 0; i < 8; i += 1)
      void c0
        .acquire(pool, batchCall('a'), () => limit)
        .then(() => {
          granted += 1;
        });
    await clock.advance(10);
    const atFirst = granted;

    // Act: the limiter grows to 6 as a call ends
    limit = 6;
    c0.release(pool, batchCall('a'));
    await clock.advance(10);

    // Assess: asked again at once, for the new limit
    expect(atFirst).toBe(2);
    expect(granted).toBe(7);
    expect(store.slotsByTenant('gpu', clock.now())).toEqual({ a: 6 });
    c0.close();
  });

  it('drops a waiting call whose signal aborts, holding nothing for it', async () => {
    // Prepare: c0 holds everything; c1 waits
    const { clock, containers } = fleet(2);
    const [c0, c1] = containers as [FleetBudget, FleetBudget];
    start(c0, 'a', 8);
    await clock.advance(10);
    const controller = new AbortController();
    const waiting = c1.acquire(pool, batchCall('a'), () => 64, controller.signal);

    // Act
    controller.abort(new Error('deadline'));

    // Assess
    await expect(waiting).rejects.toThrow('deadline');
    expect(c1.snapshot('gpu').waiting).toBe(0);
    for (const budget of containers) budget.close();
  });
});
