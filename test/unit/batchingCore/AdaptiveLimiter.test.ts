import { AdaptiveLimiter } from '../../../shared/batchingCore/AdaptiveLimiter';
import { FakeClock } from '../../helpers/FakeClock';

describe('AdaptiveLimiter', () => {
  it('starts at min(4, maxConcurrency) unless told otherwise', () => {
    // Prepare
    const clock = new FakeClock();

    // Act
    const wide = new AdaptiveLimiter({ maxConcurrency: 16, clock });
    const narrow = new AdaptiveLimiter({ maxConcurrency: 2, clock });
    const told = new AdaptiveLimiter({ maxConcurrency: 16, initialConcurrency: 10, clock });
    const tooHigh = new AdaptiveLimiter({ maxConcurrency: 3, initialConcurrency: 10, clock });

    // Assess
    expect([wide.limit, narrow.limit, told.limit, tooHigh.limit]).toEqual([4, 2, 10, 3]);
  });

  it('grants at most `limit` slots and serves waiters first in, first out', async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxConcurrency: 2, clock });
    const order: string[] = [];
    await limiter.acquire();
    await limiter.acquire();

    // Act
    const waiting = ['a', 'b', 'c'].map((name) => limiter.acquire().then(() => order.push(name)));
    await clock.settle();
    const grantedBeforeRelease = order.length;
    limiter.release();
    await clock.settle();
    limiter.release();
    limiter.release();
    await Promise.all(waiting);

    // Assess
    expect(grantedBeforeRelease).toBe(0);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(limiter.inFlight).toBe(2);
  });

  it('halves the limit on a throttle, once per congestion epoch', async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxConcurrency: 16, initialConcurrency: 8, clock });
    const epochs = await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);

    // Act: three calls of the same epoch are throttled together
    const changed = epochs.map((epoch) => limiter.decrease(epoch));

    // Assess
    expect(changed).toEqual([true, false, false]);
    expect(limiter.limit).toBe(4);
  });

  it('decreases again for a call started after the last decrease, down to a floor of 1', async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxConcurrency: 16, initialConcurrency: 4, clock });

    // Act
    for (let i = 0; i < 5; i += 1) {
      const epoch = await limiter.acquire();
      limiter.decrease(epoch);
      limiter.release();
    }

    // Assess
    expect(limiter.limit).toBe(1);
  });

  it('starts slow: +1 per success (doubling each round) until the first throttle, up to maxConcurrency', async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxConcurrency: 64, initialConcurrency: 4, clock });
    const limits: number[] = [];
    // Act: four rounds of a full window each.
    for (let round = 0; round < 4; round++) {
      for (let i = limiter.limit; i > 0; i--) limiter.increase();
      limits.push(limiter.limit);
    }
    for (let i = 0; i < 100; i++) limiter.increase();
    // Assess
    expect(limits).toEqual([8, 16, 32, 64]);
    expect(limiter.limit).toBe(64);
  });

  it('after a throttle, grows by one per round of `limit` successes, up to maxConcurrency', async () => {
    // Prepare: a throttle ends the slow start (4 → 2).
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxConcurrency: 5, initialConcurrency: 4, clock });
    limiter.decrease(await limiter.acquire());
    limiter.release();
    const limits: number[] = [];

    // Act
    for (let i = 0; i < 20; i += 1) {
      limiter.increase();
      limits.push(limiter.limit);
    }

    // Assess: 2 successes to reach 3, 3 more to reach 4, 4 more to reach 5, then capped
    expect(limits.slice(0, 10)).toEqual([2, 3, 3, 3, 4, 4, 4, 4, 5, 5]);
    expect(limiter.limit).toBe(5);
  });

  it('holds every start until pauseUntil has passed', async () => {
    // Prepare
    const clock = new FakeClock(1_000);
    const limiter = new AdaptiveLimiter({ maxConcurrency: 4, clock });
    limiter.pauseUntil(3_000);
    let grantedAt: number | undefined;

    // Act
    const waiting = limiter.acquire().then(() => (grantedAt = clock.now()));
    await clock.advance(1_999);
    const beforePauseEnd = grantedAt;
    await clock.advance(1);
    await waiting;

    // Assess
    expect(beforePauseEnd).toBeUndefined();
    expect(grantedAt).toBe(3_000);
  });

  it('drops a waiter whose signal aborts, leaving the slot to the next one', async () => {
    // Prepare
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ maxConcurrency: 1, clock });
    await limiter.acquire();
    const controller = new AbortController();
    const first = limiter.acquire(controller.signal);
    const second = limiter.acquire();

    // Act
    controller.abort(new Error('gone'));
    limiter.release();

    // Assess
    await expect(first).rejects.toThrow('gone');
    await expect(second).resolves.toBe(0);
    expect(limiter.inFlight).toBe(1);
  });
});

describe('AdaptiveLimiter: latency backoff', () => {
  /** `count` successes of calls of the current epoch, each taking `latency`. */
  const succeed = (limiter: AdaptiveLimiter, count: number, latency: number) => {
    for (let i = 0; i < count; i += 1) limiter.increase(latency, 0 + limiterEpoch(limiter));
  };
  // The epoch a call started now would carry: what tryAcquire hands out.
  const limiterEpoch = (limiter: AdaptiveLimiter) => {
    const epoch = limiter.tryAcquire()!;
    limiter.release();
    return epoch;
  };

  it('keeps probing while latency stays within the tolerance of the least seen', () => {
    // Prepare
    const limiter = new AdaptiveLimiter({ maxConcurrency: 64, initialConcurrency: 8, clock: new FakeClock() });

    // Act: latencies up to twice the baseline, under the default tolerance of 3
    succeed(limiter, 20, 100);
    succeed(limiter, 20, 200);

    // Assess: slow start went on, +1 per success
    expect(limiter.limit).toBe(48);
  });

  it('steps the limit down by 10% once the smoothed latency passes the tolerance, then holds at the expected concurrency', () => {
    // Prepare: probed from 8 up to 30 at a steady 100 ms
    const limiter = new AdaptiveLimiter({ maxConcurrency: 64, initialConcurrency: 8, clock: new FakeClock() });
    succeed(limiter, 22, 100);
    const probed = limiter.limit;

    // Act: the backend starts queueing, 500 ms a call
    const limits: number[] = [];
    for (let i = 0; i < 150; i += 1) {
      succeed(limiter, 1, 500);
      limits.push(limiter.limit);
    }

    // Assess: slow start goes on until the smoothed latency passes 3 × 100 ms, then each
    // step down (×0.9) waits for ten fresh calls, and it stops at 8, where it started
    const steps = limits.filter((limit, i) => i > 0 && limit < limits[i - 1]!);
    expect(probed).toBe(30);
    expect(Math.max(...limits)).toBe(36);
    expect(steps).toEqual([32, 28, 25, 22, 19, 17, 15, 13, 11, 9, 8]);
    expect(limits.slice(-30)).toEqual(Array(30).fill(8));
  });

  it('does not hold a slow call started before the last change against the new limit', async () => {
    // Prepare
    const limiter = new AdaptiveLimiter({ maxConcurrency: 64, initialConcurrency: 8, clock: new FakeClock() });
    const oldEpoch = await limiter.acquire();
    limiter.release();
    succeed(limiter, 12, 100);
    limiter.decrease(oldEpoch);
    const afterThrottle = limiter.limit;

    // Act: echoes of the old epoch, very slow
    for (let i = 0; i < 30; i += 1) limiter.increase(10_000, oldEpoch);

    // Assess: they count as successes (AIMD), never as a latency rise
    expect(afterThrottle).toBe(10);
    expect(limiter.limit).toBe(12);
  });

  it('turns off with an infinite tolerance', () => {
    // Prepare
    const limiter = new AdaptiveLimiter({
      maxConcurrency: 64,
      initialConcurrency: 8,
      clock: new FakeClock(),
      latencyTolerance: Number.POSITIVE_INFINITY,
    });

    // Act
    succeed(limiter, 10, 1);
    succeed(limiter, 10, 1_000);

    // Assess
    expect(limiter.limit).toBe(28);
  });
});

describe('AdaptiveLimiter: what it learned outlives it', () => {
  it('resumes at the learned limit and phase, and keeps the record up to date', async () => {
    // Prepare: a first limiter probes and is throttled once
    const learned = {};
    const first = new AdaptiveLimiter({ maxConcurrency: 64, initialConcurrency: 8, clock: new FakeClock(), learned });
    for (let i = 0; i < 12; i += 1) first.increase();
    first.decrease(await first.acquire());

    // Act
    const second = new AdaptiveLimiter({ maxConcurrency: 64, initialConcurrency: 8, clock: new FakeClock(), learned });
    for (let i = 0; i < 10; i += 1) second.increase();

    // Assess: 20 halved to 10; in congestion avoidance, ten successes make one step
    expect(learned).toMatchObject({ limit: 11, congested: true });
    expect(second.limit).toBe(11);
  });

  it('clamps a learned limit to its own ceiling', () => {
    // Act
    const limiter = new AdaptiveLimiter({ maxConcurrency: 16, clock: new FakeClock(), learned: { limit: 500 } });

    // Assess
    expect(limiter.limit).toBe(16);
  });
});
