import { backlogPerInstanceTarget, desiredCapacity, type PoolSizing } from '../../../shared/fleet/desiredCapacity';

const pool: PoolSizing = { backlog: 0, throughputPerInstance: 10, startupSeconds: 300, drainSeconds: 600, min: 0, max: 8 };

describe('desiredCapacity: the sizing rule of a GPU pool', () => {
  it('scales to zero with no backlog and no minimum', () => {
    // Assess
    expect(desiredCapacity({ ...pool, backlog: 0 })).toBe(0);
  });

  it('keeps the warm minimum for real-time with no backlog', () => {
    // Assess
    expect(desiredCapacity({ ...pool, backlog: 0, min: 2 })).toBe(2);
  });

  it('starts one instance for any backlog at all', () => {
    // Assess
    expect(desiredCapacity({ ...pool, backlog: 1 })).toBe(1);
  });

  it('sizes the pool to work the backlog off within the drain time: backlog / (throughput × horizon), rounded up', () => {
    // Assess: 6,000 lines per instance in 600 s at 10/s
    expect(desiredCapacity({ ...pool, backlog: 6_000 })).toBe(1);
    expect(desiredCapacity({ ...pool, backlog: 6_001 })).toBe(2);
    expect(desiredCapacity({ ...pool, backlog: 30_000 })).toBe(5);
  });

  it('never aims sooner than an instance takes to start', () => {
    // Assess: a 60 s drain target is no use when start-up takes 300 s: the horizon is 300 s
    expect(desiredCapacity({ ...pool, drainSeconds: 60, backlog: 9_000 })).toBe(3);
  });

  it('stops at the maximum', () => {
    // Assess
    expect(desiredCapacity({ ...pool, backlog: 1_000_000 })).toBe(8);
  });

  it('treats a missing or negative backlog as none', () => {
    // Assess
    expect(desiredCapacity({ ...pool, backlog: Number.NaN, min: 1 })).toBe(1);
    expect(desiredCapacity({ ...pool, backlog: -5 })).toBe(0);
  });

  it('refuses a pool that cannot work (no throughput) or bounds that cross', () => {
    // Assess
    expect(() => desiredCapacity({ ...pool, throughputPerInstance: 0 })).toThrow(RangeError);
    expect(() => desiredCapacity({ ...pool, min: 3, max: 2 })).toThrow(RangeError);
  });

  it('agrees with target tracking on backlog per instance: desired = backlog / target', () => {
    // Prepare
    const target = backlogPerInstanceTarget(pool);

    // Assess
    expect(target).toBe(6_000);
    for (const backlog of [1, 5_999, 12_000, 40_000])
      expect(desiredCapacity({ ...pool, backlog })).toBe(Math.min(8, Math.ceil(backlog / target)));
  });
});
