import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SuiteResults } from '../bench/results';

const ROOT = join(__dirname, '..', '..');

/** Runs `npm run bench -- --smoke --out <dir>` as the npm script does, in a child process. */
function runSmoke(out: string): Promise<string> {
  const tsx = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', tsx, 'test/bench/run.ts', '--smoke', '--out', out],
      {
        cwd: ROOT,
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN' },
        // A guard against a hang, not a speed check (the smoke run packages functions for item 5).
        timeout: 600_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}\n${stdout}`)) : resolve(stdout)),
    );
  });
}

const finite = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

describe('the benchmark suite', () => {
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'bench-smoke-test-'));
  });

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('runs every item in its smoke mode and writes the results, the table and the chart', async () => {
    // Act
    const stdout = await runSmoke(out);
    const results = JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')) as SuiteResults;
    const svg = await readFile(join(out, 'latest.svg'), 'utf8');
    // Assess: every item ran, with figures of the right shape (values are not judged: this is a smoke test).
    expect(results.errors).toEqual({});
    expect(results).toMatchObject({ suite: 'inference-platform benchmarks', schema: 1, mode: 'smoke' });
    expect(results.machine.nproc).toBeGreaterThan(0);
    const { utilisation, throttling, overhead, ingest, coldStart, endToEnd, largeFiles } = results.items;
    for (const kind of ['embeddings', 'chat'] as const) {
      const names = utilisation!.kinds[kind].contenders.map((c) => c.name);
      expect(names).toEqual(expect.arrayContaining(['core', 'core-warm', 'per-request', 'dataloader']));
      for (const contender of utilisation!.kinds[kind].contenders.filter((c) => !c.skipped)) {
        expect(finite(contender.median!.fractionOfBest)).toBe(true);
        expect(contender.median!.failed).toBe(0);
      }
    }
    expect(finite(utilisation!.simulator.maxItemsPerSecond)).toBe(true);
    expect(finite(throttling!.fractionOfLimitUsed)).toBe(true);
    expect(throttling!.timeline.length).toBeGreaterThan(0);
    for (const kind of ['chat', 'embeddings'] as const) {
      expect(overhead!.kinds[kind].stages.map((s) => s.stage)).toHaveLength(7);
      for (const stage of overhead!.kinds[kind].stages) expect(finite(stage.microsPerRequest)).toBe(true);
    }
    expect(ingest!.sizes).toHaveLength(2);
    for (const size of ingest!.sizes) {
      expect(size.validLines).toBe(size.lines);
      expect(finite(size.ratioToPlainRead)).toBe(true);
    }
    expect(coldStart!.functions.length).toBeGreaterThan(0);
    for (const fn of coldStart!.functions) {
      expect(fn.error).toBeUndefined();
      expect(fn.bundleBytes).toBeGreaterThan(0);
      expect(finite(fn.importRatio)).toBe(true);
    }
    expect(endToEnd!.batch).toMatchObject({
      status: 'completed',
      request_counts: { total: endToEnd!.lines, completed: endToEnd!.lines, failed: 0 },
    });
    expect(endToEnd!.awsCalls.perRequest.s3GetClass).toBeGreaterThan(0);
    // where the job's time went, read from the platform's log lines
    expect(Object.values(endToEnd!.phases!.seconds).every(finite)).toBe(true);
    expect(endToEnd!.phases!.chunks.count).toBeGreaterThan(0);
    expect(finite(endToEnd!.awsCalls.usdPerMillionRequests.total)).toBe(true);
    expect(largeFiles!.sizes.map((size) => size.fileMiB)).toEqual([4, 12]);
    for (const size of largeFiles!.sizes) expect(finite(size.upload.peakRssMiB) && finite(size.download.peakRssMiB)).toBe(true);
    const scenario = (name: string) => results.items.fairness!.scenarios.find((row) => row.scenario === name)!;
    expect(results.items.fairness!.scenarios).toHaveLength(10);
    // fair shares: B's small job runs beside A's big one, not behind it
    expect(scenario('A and B, fair shares').bJobMs!).toBeLessThan(scenario('A and B, fair sharing off').bJobMs!);
    expect(scenario('burst during A’s job, fair shares').burstP99Ms!).toBeLessThan(
      scenario('burst during A’s job, fair sharing off').burstP99Ms!,
    );
    expect(results.goals.map((g) => g.item)).toEqual(expect.arrayContaining(['11', '12']));
    // one budget per backend: with it, the pool never holds more than its capacity, so never throttles
    const fleet = results.items.fleetBudget!;
    expect(fleet.runs.map((run) => `${run.containers}:${run.budget}`)).toEqual(['1:false', '1:true', '4:false', '4:true']);
    for (const run of fleet.runs.filter((entry) => entry.budget)) {
      expect(run.peakInFlight).toBeLessThanOrEqual(fleet.poolCapacity);
      expect([run.throttles, run.failed]).toEqual([0, 0]);
    }
    expect(results.goals.map((g) => g.item)).toEqual(
      expect.arrayContaining(['1 embeddings', '1 chat', '2', '4 memory', '4 throughput', '5 size', '5 init', '9']),
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('1. Throughput');
    expect(stdout).toContain('Goals');
  }, 660_000);
});
