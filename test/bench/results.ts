import type { FairnessResult } from './items/fairness';
import type { FleetBudgetResult } from './items/fleetBudget';
import type { FleetDayResult } from './items/fleetDay';
import type { RouteCostResult } from './items/routeCost';
import type { ColdStartResult } from './items/coldStart';
import type { EndToEndResult } from './items/endToEnd';
import type { IngestScaleResult } from './items/ingestScale';
import type { LargeFilesResult } from './items/largeFiles';
import type { OverheadResult } from './items/overhead';
import type { StreamingResult } from './items/streaming';
import type { ThrottlingResult } from './items/throttling';
import type { UtilisationResult } from './items/utilisation';

/** How big a run is: `full` for BENCHMARKS.md, `quick` under two minutes, `smoke` for the test. */
export type Mode = 'full' | 'quick' | 'smoke';

/** One goal of the issue, as measured. */
export interface GoalCheck {
  item: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

/** The machine a run ran on. */
export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  totalMemoryMiB: number;
  commit: string;
}

/** Everything one run of the suite wrote: the JSON behind the table, the chart and BENCHMARKS.md. */
export interface SuiteResults {
  suite: 'inference-platform benchmarks';
  schema: 1;
  mode: Mode;
  command: string;
  startedAt: string;
  seconds: number;
  machine: Machine;
  items: {
    utilisation?: UtilisationResult;
    throttling?: ThrottlingResult;
    overhead?: OverheadResult;
    ingest?: IngestScaleResult;
    coldStart?: ColdStartResult;
    endToEnd?: EndToEndResult;
    streaming?: StreamingResult;
    fleetDay?: FleetDayResult;
    largeFiles?: LargeFilesResult;
    routeCost?: RouteCostResult;
    fairness?: FairnessResult;
    fleetBudget?: FleetBudgetResult;
  };
  /** Items that failed to run, with why. */
  errors: Record<string, string>;
  goals: GoalCheck[];
}
