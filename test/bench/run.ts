/**
 * `npm run bench`: the benchmark suite of issue 5, items 1–6, item 7 (streamed chat), item 8 (a day of the GPU fleet), item 9 (files of hundreds of MB through the API) and item 10 (one job's cost and time on three Bedrock routes), item 11 (fair shares) and item 12 (one budget per backend across the fleet), run one after the other in
 * this process (children where an item needs a process of its own), printing a table and
 * writing the results as JSON and an SVG chart drawn from it.
 *
 *   npm run bench                 full run (the figures of BENCHMARKS.md; about 25 minutes)
 *   npm run bench -- --quick      under two minutes on a 2-core machine: smaller sizes, fewer rounds
 *   npm run bench -- --smoke      a tiny run for the smoke test (writes to a temp folder)
 *   --only 1,3,6                  only these items (item 4's AWS call count comes with item 6;
 *                                 item 8, a day of traffic through the GPU fleet, is pure: --only 8;
 *                                 so is item 10, a 20,000-line job on three Bedrock routes: --only 10;
 *                                 item 11, fair shares and real-time priority, runs on a virtual clock: --only 11;
 *                                 item 12, one budget per backend across N containers: --only 12)
 *   --out DIR                     where results go (default test/bench/results; smoke: a temp folder)
 *
 * Writes `<out>/<timestamp>-<mode>.json`, `<out>/latest.json` and `<out>/latest.svg`; a
 * full run also writes `<out>/full.json` and `<out>/full.svg`, which BENCHMARKS.md uses.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { renderChart } from './chart';
import { ROOT } from './childProcess';
import { checkGoals } from './goals';
import { runColdStart } from './items/coldStart';
import { runEndToEnd } from './items/endToEnd';
import { FAIRNESS_FULL, FAIRNESS_QUICK, runFairness } from './items/fairness';
import { FLEET_BUDGET_FULL, FLEET_BUDGET_QUICK, FLEET_BUDGET_SMOKE, runFleetBudget } from './items/fleetBudget';
import { runFleetDay } from './items/fleetDay';
import { runIngestScale, type IngestCase } from './items/ingestScale';
import { runLargeFiles } from './items/largeFiles';
import { runRouteCost } from './items/routeCost';
import { runOverhead } from './items/overhead';
import { runStreaming, type StreamingOptions } from './items/streaming';
import { runThrottling, type ThrottlingOptions } from './items/throttling';
import { runUtilisation } from './items/utilisation';
import type { Machine, Mode, SuiteResults } from './results';
import { GPU_LIKE, startSimulatorProcess } from './simulatorProcess';
import { round } from './stats';
import { formatReport } from './table';

// What a deployed function has; the Bedrock client signs its calls (to the simulator) with these.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
// The benches read their children's last JSON line: EMF metric lines must not be mistaken for it.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface Sizes {
  utilisation: { requests: number; callers: number; rounds: number };
  throttling: ThrottlingOptions;
  overhead: { lines: number; rounds: number };
  ingest: { cases: IngestCase[]; rounds: number };
  coldStart: { rounds: number; functions?: string[] };
  endToEnd: { lines: number };
  streaming: StreamingOptions;
  largeFiles: { sizesMiB: number[] };
}

const SIZES: Record<Mode, Sizes> = {
  full: {
    utilisation: { requests: 20_000, callers: 1_024, rounds: 3 },
    throttling: { tokensPerMinute: 60_000, offeredMinutes: 3.5, windowFromS: 30, windowToS: 150, stopAfterS: 150 },
    overhead: { lines: 10_000, rounds: 5 },
    // The last case: 1 GiB in 10 KiB lines, about the default MAX_LINES_PER_JOB (100,000) of lines.
    ingest: { cases: [{ mib: 10 }, { mib: 100 }, { mib: 1024 }, { mib: 1024, lineBytes: 10 * 1024 }], rounds: 3 },
    coldStart: { rounds: 5 },
    endToEnd: { lines: 20_000 },
    streaming: { requests: 20, maxTokens: 200, tokensPerSecond: 100 },
    largeFiles: { sizesMiB: [4, 256, 1024] },
  },
  quick: {
    utilisation: { requests: 1_500, callers: 1_024, rounds: 2 },
    throttling: { tokensPerMinute: 60_000, offeredMinutes: 1.5, windowFromS: 0, windowToS: 10, stopAfterS: 10 },
    overhead: { lines: 1_000, rounds: 3 },
    ingest: { cases: [{ mib: 10 }, { mib: 100 }], rounds: 2 },
    coldStart: { rounds: 3 },
    endToEnd: { lines: 2_000 },
    streaming: { requests: 5, maxTokens: 100, tokensPerSecond: 100 },
    largeFiles: { sizesMiB: [4, 256] },
  },
  smoke: {
    utilisation: { requests: 200, callers: 64, rounds: 1 },
    throttling: { tokensPerMinute: 6_000, offeredMinutes: 1.5, windowFromS: 0, windowToS: 3, stopAfterS: 3 },
    overhead: { lines: 200, rounds: 1 },
    ingest: { cases: [{ mib: 1 }, { mib: 2 }], rounds: 1 },
    coldStart: { rounds: 1, functions: ['health', 'models'] },
    endToEnd: { lines: 200 },
    streaming: { requests: 2, maxTokens: 40, tokensPerSecond: 200 },
    largeFiles: { sizesMiB: [4, 12] },
  },
};

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function machine(): Machine {
  let cpuModel = 'unknown';
  try {
    cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // Not Linux: the model stays unknown.
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '') commit += '+changes';
  } catch {
    // Not a git checkout.
  }
  return {
    nproc: availableParallelism(),
    cpuModel,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    totalMemoryMiB: Math.round(totalmem() / 1024 / 1024),
    commit,
  };
}

function log(line: string): void {
  console.log(line);
}

async function main(): Promise<void> {
  const mode: Mode = process.argv.includes('--smoke') ? 'smoke' : process.argv.includes('--quick') ? 'quick' : 'full';
  const sizes = SIZES[mode];
  const only = option('only')
    ?.split(',')
    .map((item) => item.trim());
  const wanted = (item: string) => !only || only.includes(item);
  const out = option('out') ?? (mode === 'smoke' ? mkdtempSync(join(tmpdir(), 'bench-smoke-')) : join(ROOT, 'test', 'bench', 'results'));
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  const results: SuiteResults = {
    suite: 'inference-platform benchmarks',
    schema: 1,
    mode,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    startedAt: new Date(started).toISOString(),
    seconds: 0,
    machine: machine(),
    items: {},
    errors: {},
    goals: [],
  };
  log(
    `Benchmarks, ${mode} run, on ${results.machine.nproc} × ${results.machine.cpuModel}, Node ${results.machine.node}, commit ${results.machine.commit}`,
  );
  const attempt = async (item: string, work: () => Promise<void>) => {
    if (!wanted(item)) return;
    const itemStarted = Date.now();
    log(`item ${item}…`);
    try {
      await work();
    } catch (error) {
      results.errors[`item ${item}`] = (error as Error).stack ?? String(error);
      log(`item ${item} failed: ${(error as Error).message}`);
    }
    log(`item ${item} took ${((Date.now() - itemStarted) / 1000).toFixed(1)} s`);
  };

  if (wanted('1') || wanted('2') || wanted('3') || wanted('7')) {
    const simulator = await startSimulatorProcess(GPU_LIKE);
    try {
      await attempt('1', async () => {
        // The built-in catalogue, sized as every item's (benchCatalogue.ts).
        results.items.utilisation = await runUtilisation(simulator, sizes.utilisation, log);
      });
      await attempt('2', async () => {
        results.items.throttling = await runThrottling(simulator, sizes.throttling, log);
      });
      await attempt('3', async () => {
        results.items.overhead = await runOverhead(simulator, sizes.overhead, log);
      });
      await attempt('7', async () => {
        results.items.streaming = await runStreaming(simulator, sizes.streaming, log);
      });
    } finally {
      await simulator.stop();
    }
  }
  await attempt('4', async () => {
    results.items.ingest = await runIngestScale(sizes.ingest.cases, sizes.ingest.rounds, log);
  });
  await attempt('5', async () => {
    results.items.coldStart = await runColdStart(sizes.coldStart.rounds, log, sizes.coldStart.functions);
  });
  await attempt('6', async () => {
    results.items.endToEnd = await runEndToEnd(sizes.endToEnd.lines, log);
  });
  await attempt('8', async () => {
    // Pure and fast: the same day in every mode.
    results.items.fleetDay = runFleetDay(undefined, log);
  });
  await attempt('9', async () => {
    results.items.largeFiles = await runLargeFiles(sizes.largeFiles.sizesMiB, log);
  });
  await attempt('10', async () => {
    // Pure and instant: the same job in every mode.
    results.items.routeCost = runRouteCost(undefined, log);
  });
  await attempt('11', async () => {
    // Virtual time: the figures are the model's, whatever the machine's load.
    results.items.fairness = await runFairness(mode === 'full' ? FAIRNESS_FULL : FAIRNESS_QUICK, log);
  });

  await attempt('12', async () => {
    // N containers against one pool, with and without the shared budget (its own simulator and gate).
    const sizes12 = mode === 'full' ? FLEET_BUDGET_FULL : mode === 'quick' ? FLEET_BUDGET_QUICK : FLEET_BUDGET_SMOKE;
    results.items.fleetBudget = await runFleetBudget(sizes12, log);
  });

  results.seconds = round((Date.now() - started) / 1000, 1);
  results.goals = checkGoals(results);
  const json = `${JSON.stringify(results, null, 1)}\n`;
  const svg = renderChart(results);
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(out, `${stamp}-${mode}.json`), json);
  writeFileSync(join(out, 'latest.json'), json);
  writeFileSync(join(out, 'latest.svg'), svg);
  if (mode === 'full' && !only) {
    copyFileSync(join(out, 'latest.json'), join(out, 'full.json'));
    copyFileSync(join(out, 'latest.svg'), join(out, 'full.svg'));
  }
  log(`\n${formatReport(results)}`);
  log(`\n${mode} run took ${results.seconds} s; results in ${join(out, 'latest.json')}, chart ${join(out, 'latest.svg')}`);
}

// Ctrl-C: exit through 'exit', so the children (the simulator) are stopped too.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main().then(
  // Timers of the cores (Retry-After pauses) may still be armed; the run is over.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
