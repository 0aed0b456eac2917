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
