import { CALL_COST_GOAL } from './items/overhead';
import type { SuiteResults, GoalCheck } from './results';
import { percent } from './stats';

/** The largest bundle the issue allows, "300 KB minified": 300 × 1,024 bytes. */
export const BUNDLE_LIMIT_BYTES = 300 * 1024;

/** Checks each goal of the issue against what a run measured (null: not measured in this run). */
export function checkGoals(results: Pick<SuiteResults, 'items' | 'mode'>): GoalCheck[] {
  const goals: GoalCheck[] = [];
  const { utilisation, throttling, overhead, ingest, coldStart, streaming, largeFiles, fairness, fleetBudget } = results.items;
  if (utilisation) {
    for (const kind of ['embeddings', 'chat'] as const) {
      const result = utilisation.kinds[kind];
      const figure = (name: string) => result.contenders.find((c) => c.name === name)?.median;
      const core = figure('core');
      const warm = figure('core-warm');
      const others = result.contenders.filter((c) => c.name === 'per-request' || c.name === 'dataloader');
      const ahead = others.every(
        (c) => !c.median || (core !== undefined && core !== null && core.itemsPerSecond > c.median.itemsPerSecond),
      );
      goals.push({
        item: `1 ${kind}`,
        goal: 'core ≥ 95% of the best possible throughput, ahead of per-request and dataloader',
        measured: `core ${percent(core?.fractionOfBest)} (warm ${percent(warm?.fractionOfBest)}); per-request ${percent(figure('per-request')?.fractionOfBest)}, dataloader ${percent(figure('dataloader')?.fractionOfBest)}; core/per-request ×${result.coreVsPerRequest}, core/dataloader ×${result.coreVsDataloader ?? 'n/a'}`,
        met: core ? core.fractionOfBest >= 0.95 && ahead : null,
      });
    }
  }
  if (throttling) {
    goals.push({
      item: '2',
      goal: '≥ 90% of the tokens-per-minute limit used, no throttle reaching a caller',
      measured: `${percent(throttling.fractionOfLimitUsed)} of the limit in [${throttling.options.windowFromS} s, ${throttling.options.windowToS} s)${throttling.steadyState ? '' : ' (first window only: not a steady state)'}; ${throttling.throttlesReachingCaller} throttles reached a caller (${throttling.throttlesAnswered} answered by the backend)`,
      met: throttling.fractionOfLimitUsed >= 0.9 && throttling.throttlesReachingCaller === 0,
    });
  }
  if (overhead?.callCost) {
    const cost = overhead.callCost;
    goals.push({
      item: '3 CPU per call',
      goal: `CPU per chat request through core + provider within ×${CALL_COST_GOAL} of a bare node:http keep-alive POST to the same server`,
      measured: `${cost.coreMicrosPerRequest} µs against ${cost.bareNodeHttpMicrosPerRequest} µs (×${cost.ratio}; rounds ${cost.rounds.map((r) => `×${r}`).join(', ')})`,
      met: cost.ratio <= CALL_COST_GOAL,
    });
  }
  if (ingest && ingest.sizes.length > 0) {
    const smallest = ingest.sizes[0]!;
    const largest = ingest.sizes[ingest.sizes.length - 1]!;
    goals.push({
      item: '4 memory',
      goal: `peak RSS flat: the largest file within 10% of the 10 MiB one${largest.fileMiB < 1024 ? ' (1 GiB in full runs only)' : ''}`,
      measured: `${smallest.fileMiB} MiB: ${smallest.peakRssMiB} MiB; ${largest.fileMiB} MiB: ${largest.peakRssMiB} MiB (×${ingest.peakGrowthLargestVsSmallest})`,
      met: ingest.peakGrowthLargestVsSmallest <= 1.1,
    });
    goals.push({
      item: '4 throughput',
      goal: 'ingest ≥ half the MiB/s of a plain read of the same object',
      measured: ingest.sizes
        .map((size) => `${size.fileMiB} MiB: ${size.ingestMibPerSecond} vs ${size.plainReadMibPerSecond} MiB/s (×${size.ratioToPlainRead})`)
        .join('; '),
      met: ingest.worstRatioToPlainRead >= 0.5,
    });
  }
  if (coldStart) {
    const measured = coldStart.functions.filter((f) => f.zipBytes > 0);
    const over = measured.filter((f) => f.zipBytes >= BUNDLE_LIMIT_BYTES);
    goals.push({
      item: '5 size',
      goal: "every function's zip under 300 KB",
      measured: `${measured.length - over.length} of ${measured.length} under; largest ${(coldStart.largestZipBytes / 1024).toFixed(0)} KiB`,
      met: measured.length > 0 && over.length === 0,
    });
    const ratios = coldStart.functions.filter((f) => f.importRatio !== null);
    goals.push({
      item: '5 init',
      goal: `init at most 0.6× the ${coldStart.baselineRef} deployed bundle's, every function`,
      measured: `${ratios.filter((f) => f.importRatio! <= 0.6).length} of ${ratios.length} at or under; worst ×${coldStart.worstImportRatio ?? 'n/a'}`,
      met: ratios.length > 0 && ratios.length === coldStart.functions.length && ratios.every((f) => f.importRatio! <= 0.6),
    });
  }
  if (streaming) {
    goals.push({
      item: '7',
      goal: 'streamed chat: the first token arrives well before the whole answer (under a quarter of it) on both faces, no failure',
      measured: streaming.faces
        .map((face) => `${face.face}: ${face.firstTokenMs} of ${face.totalMs} ms (×${face.firstTokenShare}), ${face.failed} failed`)
        .join('; '),
      met: streaming.faces.every((face) => face.firstTokenShare < 0.25 && face.failed === 0),
    });
  }
  if (largeFiles) {
    const first = largeFiles.sizes[0]!;
    const last = largeFiles.sizes.at(-1)!;
    goals.push({
      item: '9',
      goal: 'memory stays flat: the largest file through the Uploads API and the streamed content route grows the process by at most 128 MiB, whatever its size',
      measured: `${first.fileMiB} → ${last.fileMiB} MiB: upload growth ${first.upload.growthMiB} → ${last.upload.growthMiB} MiB, download growth ${first.download.growthMiB} → ${last.download.growthMiB} MiB`,
      met: last.upload.growthMiB <= 128 && last.download.growthMiB <= 128,
    });
  }
  if (fairness) {
    const row = (name: string) => fairness.scenarios.find((scenario) => scenario.scenario === name);
    const alone = row('B alone');
    const fair = row('A and B, fair shares');
    const idle = row('burst on an idle pool');
    const busy = row('burst during A’s job, fair shares');
    if (alone && fair) {
      goals.push({
        item: '11',
        goal: `B's ${fairness.options.b.jobLines}-line job beside A's ${fairness.options.a.jobLines.toLocaleString('en')}-line job and real-time flood finishes within its fair-share bound`,
        measured: `${fair.bJobMs} ms against a bound of ${fairness.bJobBoundMs} ms (alone ${alone.bJobMs} ms; fair sharing off ${row('A and B, fair sharing off')?.bJobMs} ms)`,
        met: (fair.bJobMs ?? Number.POSITIVE_INFINITY) <= fairness.bJobBoundMs,
      });
      const p50 = (fair.bRealtimeP50Ms ?? 0) / (alone.bRealtimeP50Ms ?? 1);
      const p99 = (fair.bRealtimeP99Ms ?? 0) / (alone.bRealtimeP99Ms ?? 1);
      goals.push({
        item: '11',
        goal: "B's real-time p50 and p99 beside A within 1.5× of B alone",
        measured: `p50 ${fair.bRealtimeP50Ms} ms (×${p50.toFixed(2)}), p99 ${fair.bRealtimeP99Ms} ms (×${p99.toFixed(2)}) against ${alone.bRealtimeP50Ms}/${alone.bRealtimeP99Ms} ms alone`,
        met: p50 <= 1.5 && p99 <= 1.5,
      });
      const guarded = row('A and B, fair shares, latency guard');
      if (guarded) {
        const g50 = (guarded.bRealtimeP50Ms ?? 0) / (alone.bRealtimeP50Ms ?? 1);
        const g99 = (guarded.bRealtimeP99Ms ?? 0) / (alone.bRealtimeP99Ms ?? 1);
        goals.push({
          item: '11',
          goal: `the same with the latency guard (REALTIME_LOAD_SHARE=${fairness.options.realtimeLoadShare})`,
          measured: `p50 ${guarded.bRealtimeP50Ms} ms (×${g50.toFixed(2)}), p99 ${guarded.bRealtimeP99Ms} ms (×${g99.toFixed(2)}); B's job then ${guarded.bJobMs} ms, A ${guarded.aItemsPerSecond} items/s of the ${guarded.leftByBPerSecond} B leaves`,
          met: g50 <= 1.5 && g99 <= 1.5,
        });
      }
      goals.push({
        item: '11',
        goal: 'A uses the capacity B leaves while B runs (at least 90% of it)',
        measured: `${fair.aItemsPerSecond} items/s of the ${fair.leftByBPerSecond} B leaves (alone: ${row('A alone')?.aItemsPerSecond} of ${fairness.ceilingPerSecond})`,
        met: (fair.aItemsPerSecond ?? 0) >= 0.9 * (fair.leftByBPerSecond ?? Number.POSITIVE_INFINITY),
      });
    }
    if (idle && busy) {
      goals.push({
        item: '11',
        goal: "a burst of real-time requests during a batch job within 1.5× of an idle pool's latency",
        measured: `p50 ${busy.burstP50Ms} ms, p99 ${busy.burstP99Ms} ms against ${idle.burstP50Ms}/${idle.burstP99Ms} ms idle`,
        met: (busy.burstP50Ms ?? 0) <= 1.5 * (idle.burstP50Ms ?? 0) && (busy.burstP99Ms ?? 0) <= 1.5 * (idle.burstP99Ms ?? 0),
      });
      const guardedBurst = row('burst during A’s job, latency guard');
      if (guardedBurst) {
        goals.push({
          item: '11',
          goal: `the same with the latency guard (REALTIME_LOAD_SHARE=${fairness.options.realtimeLoadShare}), the batch job completing every line`,
          measured: `p50 ${guardedBurst.burstP50Ms} ms (×${((guardedBurst.burstP50Ms ?? 0) / (idle.burstP50Ms ?? 1)).toFixed(2)}), p99 ${guardedBurst.burstP99Ms} ms (×${((guardedBurst.burstP99Ms ?? 0) / (idle.burstP99Ms ?? 1)).toFixed(2)}); A's job ${guardedBurst.aJobMs} ms`,
          met:
            guardedBurst.aJobMs !== undefined &&
            (guardedBurst.burstP50Ms ?? 0) <= 1.5 * (idle.burstP50Ms ?? 0) &&
            (guardedBurst.burstP99Ms ?? 0) <= 1.5 * (idle.burstP99Ms ?? 0),
        });
      }
    }
  }
  if (fleetBudget) {
    const runs = fleetBudget.runs;
    const withBudget = runs.filter((run) => run.budget);
    const pair = (containers: number) => ({
      off: runs.find((run) => run.containers === containers && !run.budget),
      on: runs.find((run) => run.containers === containers && run.budget),
    });
    goals.push({
      item: '12',
      goal: `one budget per backend: with N containers the pool never holds more than its ${fleetBudget.poolCapacity} calls (no throttle), at no loss of throughput against the containers on their own`,
      measured: fleetBudget.options.containers
        .map((n) => {
          const { off, on } = pair(n);
          return `N=${n}: ${on?.throttles ?? 'n/a'} throttles, ${on?.itemsPerSecond ?? 'n/a'} items/s (without: ${off?.throttles ?? 'n/a'} throttles, ${off?.itemsPerSecond ?? 'n/a'} items/s)`;
        })
        .join('; '),
      met:
        withBudget.length > 0 &&
        withBudget.every((run) => {
          const off = pair(run.containers).off;
          return (
            run.throttles === 0 && run.peakInFlight <= fleetBudget.poolCapacity && (!off || run.itemsPerSecond >= 0.9 * off.itemsPerSecond)
          );
        }),
    });
    goals.push({
      item: '12',
      goal: 'the budget is shared fairly across containers: B (a quarter of the containers, same weight) gets about half the pool once limits have ramped (≥ 0.4)',
      measured: withBudget
        .map(
          (run) =>
            `N=${run.containers}: ${run.bShareSecondHalf} (without the budget ${pair(run.containers).off?.bShareSecondHalf ?? 'n/a'})`,
        )
        .join('; '),
      met: withBudget.length > 0 && withBudget.every((run) => run.bShareSecondHalf >= 0.4),
    });
  }
  return goals;
}
