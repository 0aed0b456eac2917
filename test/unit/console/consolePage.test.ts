/**
 * The status page script's pure part (shared/console/console.js), loaded as node loads it:
 * the script exports its pure functions when `module` exists and starts the page only
 * when `document` does.
 */
const page = require('../../../shared/console/console.js') as {
  linesDone(batch: object): number;
  linesTotal(batch: object): number;
  addSample(samples: Sample[], t: number, done: number): Sample[];
  throughput(samples: Sample[], windowMs?: number): { t: number; rate: number }[];
  RATE_WINDOW_MS: number;
  niceCeiling(value: number): number;
  chartPoints(series: { t: number; rate: number }[], width: number, height: number): { points: string; max: number };
  averageRate(batch: object): number | undefined;
  errorEntries(batch: object): { code: string; count: number; whole: boolean }[];
  formatRate(rate: number): string;
};
type Sample = { t: number; done: number };

const batch = (counts: { total: number; completed: number; failed: number }, extra: object = {}) => ({ request_counts: counts, ...extra });

describe('status page: progress', () => {
  it('counts completed and failed lines as done, and takes the finer progress extension only when it is further along', () => {
    expect(page.linesDone(batch({ total: 1000, completed: 400, failed: 100 }))).toBe(500);
    expect(page.linesTotal(batch({ total: 1000, completed: 0, failed: 0 }))).toBe(1000);
    expect(page.linesDone(batch({ total: 1000, completed: 400, failed: 100 }, { progress: { processed: 730, total: 1000 } }))).toBe(730);
    // An extension behind the counts never counts less than they do.
    expect(page.linesDone(batch({ total: 1000, completed: 400, failed: 100 }, { progress: { processed: 450, total: 1000 } }))).toBe(500);
    expect(page.linesDone(batch({ total: 1000, completed: 400, failed: 100 }, { progress: 'soon' }))).toBe(500);
    expect(page.linesDone({})).toBe(0);
  });
});

describe('status page: throughput from polls', () => {
  it('keeps samples in time order, dropping a reading no later than the last, and at most 120', () => {
    let samples: Sample[] = [];
    samples = page.addSample(samples, 1_000, 0);
    samples = page.addSample(samples, 1_000, 50);
    samples = page.addSample(samples, 900, 60);
    expect(samples).toEqual([{ t: 1_000, done: 0 }]);
    // A reading below the last (advisory progress stepping back) keeps the last.
    expect(page.addSample([{ t: 1, done: 700 }], 2, 650)).toEqual([
      { t: 1, done: 700 },
      { t: 2, done: 700 },
    ]);
    for (let i = 1; i <= 200; i++) samples = page.addSample(samples, 1_000 + i * 1_000, i * 10);
    expect(samples).toHaveLength(120);
    expect(samples.at(-1)).toEqual({ t: 201_000, done: 2_000 });
  });

  it('gives lines per second between successive polls with no window, at the later poll, and no negative rate', () => {
    const samples = [
      { t: 0, done: 0 },
      { t: 2_000, done: 500 },
      { t: 2_500, done: 750 },
      { t: 3_500, done: 750 },
      { t: 4_500, done: 700 },
    ];
    expect(page.throughput(samples, 0)).toEqual([
      { t: 2_000, rate: 250 },
      { t: 2_500, rate: 500 },
      { t: 3_500, rate: 0 },
      { t: 4_500, rate: 0 },
    ]);
    expect(page.throughput([{ t: 0, done: 0 }])).toEqual([]);
  });

  it('averages over the last few seconds by default, so chunks landing between polls read as a steady rate', () => {
    // Prepare: polls every 500 ms; a 100-line chunk lands every second.
    const samples = Array.from({ length: 11 }, (_, i) => ({ t: i * 500, done: Math.floor(i / 2) * 100 }));
    // Act
    const series = page.throughput(samples);
    // Assess: each rate spans at most the window (the first ones less), and settles at 100 lines/s.
    expect(page.RATE_WINDOW_MS).toBe(3_000);
    expect(series.map((point) => point.t)).toEqual(samples.slice(1).map((sample) => sample.t));
    expect(series.slice(6).map((point) => Math.round(point.rate))).toEqual([100, 100, 100, 100]);
    expect(series[0]).toEqual({ t: 500, rate: 0 });
  });

  it("averages a finished job's lines over its run, and gives none for a job that never ran", () => {
    expect(page.averageRate(batch({ total: 600, completed: 590, failed: 10 }, { in_progress_at: 100, completed_at: 130 }))).toBe(20);
    expect(page.averageRate(batch({ total: 600, completed: 0, failed: 0 }, { failed_at: 130 }))).toBeUndefined();
    expect(page.averageRate(batch({ total: 600, completed: 0, failed: 0 }, { in_progress_at: 100 }))).toBeUndefined();
  });

  it('formats rates for people', () => {
    expect([0, -1, Number.NaN, 3.44, 99.96, 123.4].map(page.formatRate)).toEqual(['0', '0', '0', '3.4', '100', '123']);
  });
});

describe('status page: chart scaling', () => {
  it('rounds the scale up to 1, 2 or 5 times a power of ten', () => {
    expect([0, -3, Number.NaN, 0.3, 1, 1.01, 3, 7, 10, 19, 20, 21, 480, 5000].map(page.niceCeiling)).toEqual([
      1, 1, 1, 0.5, 1, 2, 5, 10, 10, 20, 20, 50, 500, 5000,
    ]);
  });

  it('spreads the series over the width in time and the height in rate, zero at the bottom', () => {
    const { points, max } = page.chartPoints(
      [
        { t: 10_000, rate: 0 },
        { t: 12_000, rate: 40 },
        { t: 14_000, rate: 100 },
      ],
      300,
      60,
    );
    expect(max).toBe(100);
    expect(points).toBe('0,60 150,36 300,0');
  });

  it('draws a single point at the right edge and nothing for no series', () => {
    expect(page.chartPoints([{ t: 5, rate: 3 }], 300, 60)).toEqual({ points: '300,24', max: 5 });
    expect(page.chartPoints([], 300, 60)).toEqual({ points: '', max: 1 });
  });
});

describe('status page: errors by code', () => {
  it('lists the error_counts extension most frequent first, then the failure of a whole batch', () => {
    const entries = page.errorEntries({
      error_counts: { invalid_json: 3, model_not_found: 7, backend_timeout: 3, zero: 0, odd: 'x' },
      errors: { object: 'list', data: [{ code: 'file_changed', message: 'm', line: null }] },
    });
    expect(entries).toEqual([
      { code: 'model_not_found', count: 7, whole: false },
      { code: 'backend_timeout', count: 3, whole: false },
      { code: 'invalid_json', count: 3, whole: false },
      { code: 'file_changed', count: 1, whole: true },
    ]);
    expect(page.errorEntries({ errors: null })).toEqual([]);
  });
});
