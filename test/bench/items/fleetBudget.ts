import { BatchingCore } from '../../../shared/batchingCore/BatchingCore';
import { FleetBudget } from '../../../shared/batchingCore/FleetBudget';
import { systemClock } from '../../../shared/batchingCore/systemClock';
import type { Outcome } from '../../../shared/batchingCore/types';
import { ModelCatalogue } from '../../../shared/domain/catalogue';
import type { InferenceInput, InferenceOutput } from '../../../shared/domain/inference';
import { createProvider } from '../../../shared/providers/createProvider';
import { chatItems } from '../../../shared/realtime/chatRequests';
import { ModelRouter } from '../../../shared/routing/ModelRouter';
import { MemoryLeaseStore } from '../../helpers/memoryLeaseStore';
import { simulatorCatalogue } from '../benchCatalogue';
import { startPoolGate } from '../poolGate';
import { GPU_LIKE, startSimulatorProcess } from '../simulatorProcess';
import { nowMs, round, sleep } from '../stats';

/**
 * Item 12, one budget per backend across the fleet: N worker containers (N = 1, 4, 16;
 * each its own router, batching core, adaptive limiters and, with the budget, its own
 * `FleetBudget` under its own holder id) in this process, against one GPU pool: the
 * simulator in a process of its own, behind a gate in another (test/bench/poolGate.ts)
 * that answers 429 to any call beyond the pool's capacity, as a pool's gateway or a
 * Bedrock quota does. Every container has a backlog of chat requests and may use up to the
 * pool's capacity on its own (the catalogue's `maxConcurrency`, sized to the pool), so
 * without a shared budget N containers offer up to N times what the pool holds.
 *
 * Side by side, for each N, with and without the budget (leases in an in-memory book with
 * the DynamoDB item's conditional write and a few ms of latency per write): total
 * throughput against the simulator's best, the 429s the gate answered, the most calls the
 * pool saw at once, failed requests, the lease writes per second, and tenant B's share of
 * the pool while both tenants had work (all of it, and its second half, once the
 * containers' limiters have left slow start): B runs on a quarter of the containers (half
 * the work of the one container when N = 1) with the same weight as A, so a fair split is
 * one half, where containers sharing the pool as equals give B about a quarter.
 */

/** How item 12 runs. */
export interface FleetBudgetOptions {
  /** Chat requests in all, split evenly over the containers. */
  requests: number;
  containers: number[];
  /** Latency of one lease-book read or write (DynamoDB's, roughly). */
  storeLatencyMs: number;
}

/** One run: N containers, with or without the shared budget. */
export interface FleetBudgetRun {
  containers: number;
  budget: boolean;
  seconds: number;
  itemsPerSecond: number;
  /** Of the simulator's best possible throughput for these requests. */
  fractionOfBest: number;
  /** That best (the generation engine's ceiling for the requests' shape). */
  bestItemsPerSecond: number;
  /** 429s the pool's gate answered. */
  throttles: number;
  /** Most calls the pool held at once (its capacity is `poolCapacity`). */
  peakInFlight: number;
  failed: number;
  /** Writes to the lease book per second, all containers together (0 without the budget). */
  leaseWritesPerSecond: number;
  /** Tenant B's share of the requests served while both tenants had work (a fair split: 0.5). */
  bShareWhileBoth: number;
  /** The same over the second half of that time, once the containers' limits have ramped up. */
  bShareSecondHalf: number;
}

/** Item 12's result. */
export interface FleetBudgetResult {
  options: FleetBudgetOptions;
  /** The simulator's knobs for this item, and its best possible chat throughput (first run's shape). */
  simulator: Record<string, number>;
  bestItemsPerSecond: number;
  poolCapacity: number;
  runs: FleetBudgetRun[];
}

/** Quick and full sizes. */
export const FLEET_BUDGET_QUICK: FleetBudgetOptions = { requests: 2_400, containers: [1, 4, 16], storeLatencyMs: 5 };
export const FLEET_BUDGET_FULL: FleetBudgetOptions = { requests: 12_000, containers: [1, 4, 16], storeLatencyMs: 5 };
export const FLEET_BUDGET_SMOKE: FleetBudgetOptions = { requests: 200, containers: [1, 4], storeLatencyMs: 5 };

/** Item 1's GPU with a quarter of its sequences (64 at once), so 16 containers fit on one core beside it. */
const KNOBS = { ...GPU_LIKE, maxNumSeqs: 64 } as const;
const MODEL = 'gpt-oss-20b';

/** Runs item 12 with a simulator and a gate of its own. */
export async function runFleetBudget(options: FleetBudgetOptions, log: (line: string) => void): Promise<FleetBudgetResult> {
  const simulator = await startSimulatorProcess(KNOBS);
  // The pool's capacity: twice the sequences it generates at once, so a full batch is always queued (as the bench catalogue's cap).
  const poolCapacity = 2 * KNOBS.maxNumSeqs;
  const gate = await startPoolGate(simulator.url, poolCapacity);
  try {
    // The GPU pool alone (no Bedrock fallback): the built-in rule caps it per container at the pool's capacity.
    const full = simulatorCatalogue(gate.url, { server: KNOBS });
    const catalogue = ModelCatalogue.parse({
      models: full.models
        .filter((model) => model.id === MODEL)
        .map((model) => ({ ...model, backends: model.backends.filter((ref) => ref.provider === 'openai-compatible') })),
    });
    const runs: FleetBudgetRun[] = [];
    for (const containers of options.containers) {
      for (const budget of [false, true]) {
        await simulator.reset();
        await gate.reset();
        const run = await runFleet(catalogue, containers, budget, options);
        const gateStats = await gate.stats();
        // The engine's ceiling for the requests it saw (SimulatorConfig's maxSequencesPerSecond).
        const best = (await simulator.stats()).generation.maxSequencesPerSecond ?? Number.NaN;
        const result = {
          ...run,
          fractionOfBest: round(run.itemsPerSecond / best, 4),
          bestItemsPerSecond: round(best, 1),
          throttles: gateStats.throttled,
          peakInFlight: gateStats.peakInFlight,
        };
        runs.push(result);
        log(
          `  item 12 N=${containers} ${budget ? 'with' : 'without'} the budget: ${result.itemsPerSecond} items/s (${round(result.fractionOfBest * 100, 1)}% of best), ${result.throttles} throttles, peak ${result.peakInFlight}/${poolCapacity} in flight, ${result.failed} failed, B's share ${result.bShareWhileBoth} (second half ${result.bShareSecondHalf}), ${result.leaseWritesPerSecond} lease writes/s`,
        );
        // Keep-alive sockets and leases of one run do not carry into the next.
        await sleep(200);
      }
    }
    return { options, simulator: { ...KNOBS }, bestItemsPerSecond: runs[0]?.bestItemsPerSecond ?? Number.NaN, poolCapacity, runs };
  } finally {
    await gate.stop();
    await simulator.stop();
  }
}

async function runFleet(
  catalogue: ModelCatalogue,
  containers: number,
  budget: boolean,
  options: FleetBudgetOptions,
): Promise<Omit<FleetBudgetRun, 'throttles' | 'peakInFlight' | 'fractionOfBest' | 'bestItemsPerSecond'>> {
  const store = new MemoryLeaseStore({ delay: () => sleep(options.storeLatencyMs) });
  const model = catalogue.models[0]!;
  const budgets: FleetBudget[] = [];
  const perContainer = Math.floor(options.requests / containers);
  const bContainers = containers === 1 ? 0 : Math.max(1, Math.floor(containers / 4));
  const finished: Record<'a' | 'b', number[]> = { a: [], b: [] };
  const started = nowMs();
  const work: Promise<Outcome<InferenceOutput>[]>[] = [];
  for (let index = 0; index < containers; index += 1) {
    const router = new ModelRouter(catalogue, { providerFor: (ref) => createProvider(ref), failureThreshold: 3, cooldownMs: 10_000 });
    const fleetBudget = budget ? new FleetBudget({ store, clock: systemClock, holderId: `container-${index}` }) : undefined;
    if (fleetBudget) budgets.push(fleetBudget);
    // As the wiring builds it (shared/wiring/realtime.ts).
    const core = new BatchingCore<InferenceInput, InferenceOutput>(router, { maxAttempts: 3, deadlineSafetyMs: 250, fleetBudget });
    const shares: Array<{ tenant: 'a' | 'b'; count: number }> =
      containers === 1
        ? [
            { tenant: 'a', count: perContainer / 2 },
            { tenant: 'b', count: perContainer / 2 },
          ]
        : [{ tenant: index < containers - bContainers ? 'a' : 'b', count: perContainer }];
    for (const { tenant, count } of shares) {
      const items = Array.from(
        { length: count },
        (_, i) =>
          chatItems(
            {
              model: MODEL,
              messages: [{ role: 'user', content: `Container ${index}, request ${i}: one line on fair shares.` }],
              max_tokens: 16,
            },
            model,
            { idPrefix: `${tenant}${index}-${i}#` },
          )[0]!,
      );
      work.push(core.run(items, { tenantId: tenant, priority: 'batch', onSettled: () => finished[tenant].push(nowMs()) }));
    }
  }
  const outcomes = (await Promise.all(work)).flat();
  const seconds = (nowMs() - started) / 1000;
  for (const fleetBudget of budgets) fleetBudget.close();
  const bothUntil = Math.min(Math.max(...finished.a), Math.max(...finished.b));
  const shareOfB = (from: number) => {
    const a = finished.a.filter((at) => at >= from && at <= bothUntil).length;
    const b = finished.b.filter((at) => at >= from && at <= bothUntil).length;
    return round(b / Math.max(1, a + b), 3);
  };
  const served = outcomes.filter((outcome) => outcome.status === 'succeeded').length;
  return {
    containers,
    budget,
    seconds: round(seconds, 2),
    itemsPerSecond: round(served / seconds, 1),
    failed: outcomes.length - served,
    leaseWritesPerSecond: round(store.writes / seconds, 1),
    bShareWhileBoth: shareOfB(started),
    bShareSecondHalf: shareOfB((started + bothUntil) / 2),
  };
}
