import { daysBetween } from '../../../shared/usage/usageDays';
import { UsageMeter } from '../../../shared/usage/UsageMeter';
import type { UsageRecord } from '../../../shared/usage/types';
import { ChunkProgress } from '../../../shared/batchJobs/run/ChunkProgress';

/** A usage store that records each add, and can be made to fail. */
class MemoryUsageStore {
  readonly adds: UsageRecord[][] = [];
  failing = false;
  async add(records: readonly UsageRecord[]) {
    if (this.failing) throw new Error('throttled');
    this.adds.push([...records]);
  }
}

const AT = Date.parse('2026-12-03T10:00:00Z');
const sample = (tenantId: string, model: string, inputTokens: number, outputTokens: number, at = AT) => ({
  tenantId,
  model,
  requests: 1,
  inputTokens,
  outputTokens,
  at,
});

describe('UsageMeter', () => {
  it('aggregates per day, tenant and model, and writes one add per counter when the interval has passed', async () => {
    // Prepare
    let now = AT;
    const store = new MemoryUsageStore();
    const meter = new UsageMeter(store, { intervalMs: 10_000, maxRequests: 1_000 }, { now: () => now });
    // Act: three requests within the interval, then one after it.
    meter.record(sample('a', 'm1', 10, 5));
    meter.record(sample('a', 'm1', 20, 5));
    meter.record(sample('b', 'm1', 1, 1));
    await meter.settle();
    const beforeInterval = store.adds.length;
    now += 10_000;
    meter.record(sample('a', 'm2', 3, 0, now));
    await meter.settle();
    // Assess
    expect(beforeInterval).toBe(0);
    expect(store.adds.flat()).toEqual([
      { day: '2026-12-03', tenantId: 'a', model: 'm1', requests: 2, inputTokens: 30, outputTokens: 10 },
      { day: '2026-12-03', tenantId: 'b', model: 'm1', requests: 1, inputTokens: 1, outputTokens: 1 },
      { day: '2026-12-03', tenantId: 'a', model: 'm2', requests: 1, inputTokens: 3, outputTokens: 0 },
    ]);
  });

  it('flushes at most every maxRequests requests, and keeps the counts of a failed write for the next', async () => {
    const store = new MemoryUsageStore();
    const errors: unknown[] = [];
    const meter = new UsageMeter(store, { intervalMs: 3_600_000, maxRequests: 2 }, { now: () => AT, onError: (e) => errors.push(e) });
    store.failing = true;
    meter.record(sample('a', 'm', 1, 1));
    meter.record(sample('a', 'm', 1, 1));
    await meter.settle();
    store.failing = false;
    meter.record(sample('a', 'm', 1, 1));
    await meter.settle();
    expect(errors.length).toBeGreaterThan(0);
    expect(store.adds.flat()).toEqual([{ day: '2026-12-03', tenantId: 'a', model: 'm', requests: 3, inputTokens: 3, outputTokens: 3 }]);
  });

  it('lists the days of a range, and refuses a reversed, malformed or too long one', () => {
    expect(daysBetween('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(() => daysBetween('2026-12-03', '2026-12-01')).toThrow('before');
    expect(() => daysBetween('2026-02-30', '2026-03-01')).toThrow('YYYY-MM-DD');
    expect(() => daysBetween('2020-01-01', '2026-01-01')).toThrow('at most 366 days');
  });
});

describe('ChunkProgress', () => {
  it('reports at most once per interval, one report at a time, and close waits for the last', async () => {
    // Prepare
    let now = 0;
    const reports: number[] = [];
    let release: () => void = () => undefined;
    const progress = new ChunkProgress(
      (lines) => {
        reports.push(lines);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      { intervalMs: 1_000, now: () => now },
    );
    // Act
    progress.add(10);
    now = 1_000;
    progress.add(5);
    now = 2_500;
    progress.add(5);
    release();
    await progress.close();
    now = 4_000;
    progress.add(1);
    release();
    await progress.close();
    // Assess: nothing before the first interval; none while one is in flight.
    expect(reports).toEqual([15, 21]);
    expect(progress.settled).toBe(21);
  });
});
