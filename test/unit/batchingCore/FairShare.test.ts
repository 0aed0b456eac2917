import { AdaptiveLimiter } from '../../../shared/batchingCore/AdaptiveLimiter';
import { type Claim, FairQueue, latencyGuardShare, resolveFairShare } from '../../../shared/batchingCore/FairShare';
import { FakeClock } from '../../helpers/FakeClock';

const batch = (tenantId: string, urgentAt?: number): Claim => ({
  tenantId,
  priority: 'batch',
  ...(urgentAt === undefined ? {} : { urgentAt }),
});
const realtime = (tenantId: string): Claim => ({ tenantId, priority: 'realtime' });

/** Pushes `count` waiting calls of `claim`. */
function pushMany(queue: FairQueue<string>, claim: Claim, count: number, now = 0): void {
  for (let index = 0; index < count; index += 1) queue.push(claim, `${claim.tenantId}${index}`, now);
}

/** Grants slots until none may start; returns the waiters granted, in order. */
function fill(queue: FairQueue<string>, limit: number, now = 0, inFlight = { count: 0 }): string[] {
  const granted: string[] = [];
  for (let entry = queue.next(inFlight.count, limit, now); entry; entry = queue.next(inFlight.count, limit, now)) {
    granted.push(entry.waiter);
    inFlight.count += 1;
  }
  return granted;
}

describe('FairQueue: weighted max-min fair shares', () => {
  it('splits a contended backend by weight among backlogged tenants', () => {
    // Prepare
    const queue = new FairQueue<string>({ weights: { a: 2 }, realtimeReserve: 0 });
    for (const tenant of ['a', 'b', 'c']) pushMany(queue, batch(tenant), 50);

    // Act
    fill(queue, 12);

    // Assess
    expect([queue.inFlightOf('a'), queue.inFlightOf('b'), queue.inFlightOf('c')]).toEqual([6, 3, 3]);
  });

  it('keeps the shares as slots free up: each freed slot goes to the tenant furthest below its share', () => {
    // Prepare
    const queue = new FairQueue<string>({ weights: { a: 3 }, realtimeReserve: 0 });
    const inFlight = { count: 0 };
    pushMany(queue, batch('a'), 100);
    fill(queue, 8, 0, inFlight);
    pushMany(queue, batch('b'), 100);

    // Act: a holds all 8 when b arrives; its calls end one by one and are never cut
    for (let ended = 0; ended < 8; ended += 1) {
      queue.ended(batch('a'));
      inFlight.count -= 1;
      fill(queue, 8, 0, inFlight);
    }

    // Assess: 3:1 of 8 slots
    expect([queue.inFlightOf('a'), queue.inFlightOf('b')]).toEqual([6, 2]);
  });

  it('gives a tenant that wants less than its share all it wants, and the rest to the others', () => {
    // Prepare
    const queue = new FairQueue<string>({ realtimeReserve: 0 });
    pushMany(queue, batch('big'), 100);
    pushMany(queue, batch('small'), 2);

    // Act
    fill(queue, 10);

    // Assess
    expect([queue.inFlightOf('small'), queue.inFlightOf('big')]).toEqual([2, 8]);
  });

  it('is work-conserving: a tenant alone gets every slot, batch alone is held under no reserve', () => {
    // Prepare
    const queue = new FairQueue<string>({ realtimeReserve: 0.5 });
    pushMany(queue, batch('alone'), 100);

    // Act
    const granted = fill(queue, 16);

    // Assess
    expect(granted).toHaveLength(16);
    expect(queue.inFlightOf('alone')).toBe(16);
  });

  it('serves a tenant’s real-time calls before its batch ones, and real-time first on equal loads', () => {
    // Prepare
    const queue = new FairQueue<string>({ realtimeReserve: 0 });
    pushMany(queue, batch('b'), 3);
    pushMany(queue, batch('a'), 3);
    queue.push(realtime('a'), 'rt-a', 0);
    queue.push(realtime('b'), 'rt-b', 0);

    // Act
    const granted = fill(queue, 4);

    // Assess
    expect(granted).toEqual(['rt-a', 'rt-b', 'b0', 'a0']);
  });

  it('lets a tenant’s real-time flood take no more than its share from another tenant’s batch job', () => {
    // Prepare
    const queue = new FairQueue<string>({ realtimeReserve: 0 });
    pushMany(queue, realtime('flood'), 100);
    pushMany(queue, batch('job'), 100);

    // Act
    fill(queue, 10);

    // Assess
    expect([queue.inFlightOf('flood'), queue.inFlightOf('job')]).toEqual([5, 5]);
  });

  it('holds batch under the real-time reserve while real-time is about, and lifts it after the hold', () => {
    // Prepare
    const queue = new FairQueue<string>({ realtimeReserve: 0.25, realtimeHoldMs: 5_000 });
    queue.started(realtime('a'), 0);
    queue.ended(realtime('a'));
    pushMany(queue, batch('b'), 20);
    const inFlight = { count: 0 };

    // Act
    const during = fill(queue, 8, 1_000, inFlight).length;
    const realtimeMayStart = queue.mayStart(realtime('a'), inFlight.count, 8, 1_000);
    const after = fill(queue, 8, 6_000, inFlight).length;

    // Assess: 2 of 8 slots kept free for real-time during the hold; all used after it
    expect(during).toBe(6);
    expect(realtimeMayStart).toBe(true);
    expect(after).toBe(2);
  });

  it('with the latency guard, holds batch (never real-time) to its share of the limit while real-time is about, and lifts it after the hold', () => {
    // Prepare: 10 slots, batch held to a load of 40% while real-time traffic is about
    const queue = new FairQueue<string>({ realtimeReserve: 0, realtimeHoldMs: 5_000, realtimeLoadShare: 0.4 });
    pushMany(queue, batch('a'), 20);
    const inFlight = { count: 0 };
    const quiet = fill(queue, 10, 0, inFlight).length;

    // Act: real-time arrives while the batch holds all 10 slots; 7 batch calls end
    const realtimeAtFullLoad = queue.mayStart(realtime('a'), inFlight.count, 10, 1_000);
    pushMany(queue, realtime('a'), 5, 1_000);
    const whileFull = fill(queue, 10, 1_000, inFlight);
    for (let index = 0; index < 7; index += 1) {
      queue.ended(batch('a'));
      inFlight.count -= 1;
    }
    const afterDrain = fill(queue, 10, 1_000, inFlight);
    const during = queue.loadCap(10, 2_000);
    for (let index = 0; index < 5; index += 1) queue.ended(realtime('a'));
    inFlight.count -= 5;
    const batchWhileHeld = fill(queue, 10, 5_999, inFlight).length;
    const batchAfter = fill(queue, 10, 1_000 + 5_001, inFlight).length;

    // Assess: real-time waits only for the limit and takes all 5 freed slots past the cap of 4;
    // batch tops up to 4 during the hold, and to the limit after it
    expect(quiet).toBe(10);
    expect(realtimeAtFullLoad).toBe(false);
    expect(whileFull).toEqual([]);
    expect(afterDrain).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect(during).toBe(4);
    expect(batchWhileHeld).toBe(1);
    expect(batchAfter).toBe(6);
  });

  it('with the latency guard, lets a tenant run batch up to its share of the guarded load beside another tenant’s real-time flood', () => {
    // Prepare: 20 slots, load held to 10 while real-time is about; a floods 12 real-time calls
    const queue = new FairQueue<string>({ realtimeReserve: 0, realtimeLoadShare: 0.5 });
    const inFlight = { count: 0 };
    pushMany(queue, realtime('a'), 12);
    pushMany(queue, batch('a'), 50);
    pushMany(queue, batch('b'), 50);

    // Act
    fill(queue, 20, 0, inFlight);

    // Assess: a's batch yields (a is past the cap with real-time alone); b keeps its half of the guarded 10
    expect(queue.inFlightOfClass('realtime')).toBe(12);
    expect(queue.inFlightOf('b')).toBe(5);
    expect(queue.inFlightOf('a')).toBe(12);
  });

  it('with the latency guard, holds one tenant’s real-time flood past its share of the guarded load while another tenant has real-time calls, never a tenant alone', () => {
    // Prepare: 20 slots, load guarded to 10 while real-time is about (each tenant's part: 5)
    const queue = new FairQueue<string>({ realtimeReserve: 0, realtimeLoadShare: 0.5 });
    const inFlight = { count: 0 };
    pushMany(queue, realtime('a'), 15);

    // Act: a alone floods 15; then b sends 3 and a 5 more; then b's 3 end
    const alone = fill(queue, 20, 0, inFlight).length;
    pushMany(queue, realtime('b'), 3);
    queue.push(realtime('a'), 'a-more-0', 0);
    queue.push(realtime('a'), 'a-more-1', 0);
    const beside = fill(queue, 20, 0, inFlight);
    for (let index = 0; index < 3; index += 1) queue.ended(realtime('b'));
    inFlight.count -= 3;
    const afterB = fill(queue, 20, 0, inFlight);

    // Assess: alone, a is held by the limit only; beside b, a (past the cap of 10 and its part
    // of 5) waits while b starts all 3; once b has none, a's waiting calls start
    expect(alone).toBe(15);
    expect(beside).toEqual(['b0', 'b1', 'b2']);
    expect(afterB).toEqual(['a-more-0', 'a-more-1']);
  });

  it('keeps batch out of the servers’ own queue but for a few calls, and counts the reserve and the latency guard against the server slots', () => {
    // Prepare: a limit of 16 calls on servers that run 8 at once; one real-time call in flight
    const options = { realtimeReserve: 0.25, realtimeLoadShare: 0.5 };
    const withSlots = new FairQueue<string>(options, 8);
    const withoutSlots = new FairQueue<string>(options);
    const quiet = new FairQueue<string>({ realtimeReserve: 0.25 }, 8);
    const quietNoQueue = new FairQueue<string>({ realtimeReserve: 0.25, serverQueueShare: 0 }, 8);
    const quietGuarded = new FairQueue<string>(options, 8);
    const quietNoSlots = new FairQueue<string>(options);
    for (const queue of [withSlots, withoutSlots]) queue.started(realtime('a'), 0);

    // Act
    const caps = (queue: FairQueue<string>) => [queue.batchCap(16, 0), queue.loadCap(16, 0)];

    // Assess: batch leaves the reserve (2 slots) free within the 8 slots, not within 16 (no batch
    // call waits in a server's queue ahead of a real-time one); the guard is half of 8; no
    // real-time about: the 8 slots and an eighth of them queued (0, or the guard on: none), or
    // the whole limit where the servers' slots are unknown
    expect(caps(withSlots)).toEqual([6, 4]);
    expect(caps(withoutSlots)).toEqual([14, 8]);
    expect(caps(quiet)).toEqual([9, 16]);
    expect(caps(quietNoQueue)).toEqual([8, 16]);
    expect(caps(quietGuarded)).toEqual([8, 16]);
    expect(caps(quietNoSlots)).toEqual([16, 16]);
  });

  it('keeps a tenant’s real-time calls out of the servers’ own queue beside another tenant, not when it is alone', () => {
    // Prepare: a limit of 16 on servers that run 8 at once; a alone has 10 real-time calls out
    const queue = new FairQueue<string>({ realtimeReserve: 0 }, 8);
    const inFlight = { count: 0 };
    pushMany(queue, realtime('a'), 10);
    const alone = fill(queue, 16, 0, inFlight).length;

    // Act: b sends 2, a 3 more
    pushMany(queue, realtime('b'), 2);
    for (let index = 0; index < 3; index += 1) queue.push(realtime('a'), `a-more-${index}`, 0);
    const beside = fill(queue, 16, 0, inFlight);

    // Assess: alone, a went past the 8 slots (only the limit holds it); beside b, b (under its
    // part of the slots, 4) starts both, a (past the slots and its part) waits here rather
    // than in a server's queue ahead of b
    expect(alone).toBe(10);
    expect(beside).toEqual(['b0', 'b1']);
    expect(queue.size).toBe(3);
  });

  it('starts no batch call past the server slots while real-time is about, whatever the tenant’s part', () => {
    // Prepare: a limit of 16 on servers that run 8 at once; a alone has 10 real-time calls out
    const queue = new FairQueue<string>({ realtimeReserve: 0.25 }, 8);
    const inFlight = { count: 0 };
    pushMany(queue, realtime('a'), 10);
    fill(queue, 16, 0, inFlight);

    // Act: b's batch arrives, then 3 of a's calls end
    pushMany(queue, batch('b'), 4);
    const whilePast = fill(queue, 16, 0, inFlight);
    for (let index = 0; index < 3; index += 1) queue.ended(realtime('a'));
    inFlight.count -= 3;
    const afterDrain = fill(queue, 16, 0, inFlight);

    // Assess: nothing while 10 calls hold 8 slots (b's would only wait in the server's queue);
    // once under the slots, b fills them to 8
    expect(whilePast).toEqual([]);
    expect(afterDrain).toEqual(['b0']);
  });

  it('derives the latency guard share from a server’s step cost', () => {
    // 12 ms steps, 0.04 ms a decoding sequence, 0.02 ms a prompt token, 100 + 50 tokens a call:
    // a sequence adds 0.04 + 100 × 0.02 / 50 = 0.08 ms to every step; 1.5× an idle step (12.04 ms)
    // leaves room for 75 of 256 sequences
    const cost = { maxNumSeqs: 256, stepMs: 12, decodeMsPerSeq: 0.04, prefillMsPerToken: 0.02, promptTokens: 100, completionTokens: 50 };

    expect(latencyGuardShare(cost, 1.5)).toBe(0.29);
    expect(latencyGuardShare(cost, 2)).toBe(0.58);
    expect(latencyGuardShare({ ...cost, decodeMsPerSeq: 0, prefillMsPerToken: 0 }, 1.5)).toBe(1);
    expect(latencyGuardShare({ ...cost, maxNumSeqs: 1_000_000 })).toBe(0.01);
  });

  it('refuses a latency guard share outside (0, 1]', () => {
    expect(() => resolveFairShare({ realtimeLoadShare: 0 })).toThrow(/realtimeLoadShare/);
    expect(() => resolveFairShare({ realtimeLoadShare: 1.5 })).toThrow(/realtimeLoadShare/);
    expect(resolveFairShare({}).realtimeLoadShare).toBe(1);
    expect(() => resolveFairShare({ serverQueueShare: -1 })).toThrow(/serverQueueShare/);
    expect(resolveFairShare({}).serverQueueShare).toBe(0.125);
    expect(resolveFairShare({ realtimeLoadShare: 0.5 }).serverQueueShare).toBe(0);
    expect(resolveFairShare({ realtimeLoadShare: 0.5, serverQueueShare: 0.25 }).serverQueueShare).toBe(0.25);
  });

  it('sizes the reserve from the real-time traffic: a trickle keeps two slots, a burst up to the share', () => {
    // Prepare
    const queue = new FairQueue<string>({ realtimeReserve: 0.25, realtimeHoldMs: 5_000 });
    queue.started(realtime('a'), 0);
    queue.ended(realtime('a'));
    const trickle = queue.batchCap(100, 10);
    for (let index = 0; index < 40; index += 1) queue.started(realtime('a'), 20);

    // Act
    const burst = queue.batchCap(100, 30);

    // Assess
    expect(trickle).toBe(98);
    expect(burst).toBe(75);
  });

  it('serves a batch call whose deadline nears as real-time, past the reserve', () => {
    // Prepare
    const queue = new FairQueue<string>({ realtimeReserve: 0.5 });
    queue.push(realtime('rt'), 'rt', 0);
    queue.push(batch('a'), 'later', 0);
    queue.push(batch('b', 100), 'urgent', 0);

    // Act
    const beforeUrgent = fill(queue, 3, 50);
    const queue2 = new FairQueue<string>({ realtimeReserve: 0.5 });
    queue2.push(batch('a'), 'later', 0);
    queue2.push(realtime('rt'), 'rt', 0);
    queue2.push(batch('b', 100), 'urgent', 0);
    const onceUrgent = fill(queue2, 2, 150);

    // Assess: before its time it is ordinary batch; after, it goes with the real-time calls
    expect(beforeUrgent).toEqual(['rt', 'later']);
    expect(onceUrgent).toEqual(['rt', 'urgent']);
  });

  it('does not let a tenant bank the time it was idle', () => {
    // Prepare: a served 100 calls alone; then b joins, and a comes back after idling
    const queue = new FairQueue<string>({ realtimeReserve: 0 });
    for (let index = 0; index < 100; index += 1) {
      queue.started(batch('a'), 0);
      queue.ended(batch('a'));
    }
    pushMany(queue, batch('b'), 10);
    pushMany(queue, batch('a'), 10);

    // Act: one slot, so loads tie at 0 and the work per weight decides
    const order: string[] = [];
    const inFlight = { count: 0 };
    for (let round = 0; round < 6; round += 1) {
      const [granted] = fill(queue, 1, 0, inFlight);
      order.push(granted!.slice(0, 1));
      queue.ended(batch(granted!.slice(0, 1)));
      inFlight.count -= 1;
    }

    // Assess: b is not served six times in a row for a's past
    expect(order.filter((tenant) => tenant === 'a').length).toBeGreaterThanOrEqual(2);
  });

  it('disabled, serves every call first come, first served', () => {
    // Prepare
    const queue = new FairQueue<string>({ enabled: false });
    pushMany(queue, batch('big'), 4);
    queue.push(realtime('small'), 'rt', 0);

    // Act
    const granted = fill(queue, 5);

    // Assess
    expect(granted).toEqual(['big0', 'big1', 'big2', 'big3', 'rt']);
  });

  it('refuses weights that would starve a tenant', () => {
    expect(() => resolveFairShare({ weights: { a: 0 } })).toThrow('weight of a');
    expect(() => resolveFairShare({ realtimeReserve: 1 })).toThrow('realtimeReserve');
  });
});

/** A limiter whose limit (16) reaches past its servers' 8 slots, as a GPU pool's does. */
function slotLimiter(realtimeReserve: number): { clock: FakeClock; limiter: AdaptiveLimiter } {
  const clock = new FakeClock();
  const limiter = new AdaptiveLimiter({
    maxConcurrency: 16,
    initialConcurrency: 16,
    serverSlots: 8,
    clock,
    fairShare: { realtimeReserve },
  });
  return { clock, limiter };
}

describe('AdaptiveLimiter with claims', () => {
  it('lets a real-time call start in a reserved slot while batch waits', async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxConcurrency: 4, clock, fairShare: { realtimeReserve: 0.25 } });
    limiter.tryAcquire(realtime('a'));
    limiter.release(realtime('a'));
    const batchStarts: number[] = [];
    for (let index = 0; index < 5; index += 1) void limiter.acquire(undefined, batch('b')).then(() => batchStarts.push(index));
    await clock.settle();

    // Act
    const realtimeEpoch = limiter.tryAcquire(realtime('a'));

    // Assess
    expect(batchStarts).toEqual([0, 1, 2]);
    expect(realtimeEpoch).toBe(0);
    expect(limiter.inFlightOfClass('realtime')).toBe(1);
  });

  it('keeps batch within the backend’s server slots less the reserve while real-time is about, whatever its limit', async () => {
    // Prepare: a limit of 16 on servers that run 8 calls at once; a real-time call seen
    const { limiter } = slotLimiter(0.25);
    limiter.tryAcquire(realtime('a'));
    limiter.release(realtime('a'));

    // Act
    let batchStarted = 0;
    while (limiter.tryAcquire(batch('b')) !== undefined) batchStarted += 1;
    const realtimeEpoch = limiter.tryAcquire(realtime('a'));

    // Assess: 8 slots less a reserve of 2 (twice the one real-time call seen); real-time still starts
    expect(batchStarted).toBe(6);
    expect(realtimeEpoch).toBe(0);
  });

  it('starts a call at once that waits only behind another tenant’s held calls', async () => {
    // Prepare: servers of 8 under a limit of 16; a alone fills 12 with real-time calls, then
    // b's batch call waits (past the slots) and so do 2 more of a's (past its part)
    const { clock, limiter } = slotLimiter(0);
    for (let index = 0; index < 12; index += 1) limiter.tryAcquire(realtime('a'));
    let bBatch = false;
    void limiter.acquire(undefined, batch('b')).then(() => (bBatch = true));
    let aMore = 0;
    for (let index = 0; index < 2; index += 1) void limiter.acquire(undefined, realtime('a')).then(() => (aMore += 1));
    await clock.settle();

    // Act: b sends a real-time call, which a's held ones are waiting ahead of
    let bRealtime = false;
    void limiter.acquire(undefined, realtime('b')).then(() => (bRealtime = true));
    await clock.settle();

    // Assess: b's real-time call (under its part of the slots) starts without waiting for a call to end; a's stay held
    expect(bRealtime).toBe(true);
    expect(aMore).toBe(0);
    expect(bBatch).toBe(false);
  });

  it('gives a freed slot to a waiting real-time call before earlier batch waiters', async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxConcurrency: 2, clock, fairShare: { realtimeReserve: 0 } });
    await limiter.acquire(undefined, batch('b'));
    await limiter.acquire(undefined, batch('b'));
    const order: string[] = [];
    const waits = [
      limiter.acquire(undefined, batch('b')).then(() => order.push('batch')),
      limiter.acquire(undefined, realtime('a')).then(() => order.push('realtime')),
    ];

    // Act
    limiter.release(batch('b'));
    await clock.settle();
    limiter.release(batch('b'));
    await Promise.all(waits);

    // Assess
    expect(order).toEqual(['realtime', 'batch']);
  });

  it('wakes the others when a waiter that held them back gives up', async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxConcurrency: 1, clock, fairShare: { realtimeReserve: 0 } });
    await limiter.acquire(undefined, batch('a'));
    const leaving = new AbortController();
    const gone = limiter.acquire(leaving.signal, realtime('x')).catch(() => 'gone');
    const stays = limiter.acquire(undefined, batch('b'));

    // Act
    leaving.abort(new Error('left'));
    limiter.release(batch('a'));

    // Assess
    await expect(gone).resolves.toBe('gone');
    await expect(stays).resolves.toBe(0);
    expect(limiter.inFlightOf('b')).toBe(1);
  });
});
