import { desiredCapacity } from '../../../shared/fleet/desiredCapacity';
import { round } from '../stats';

/**
 * Item 8: a day of traffic through one GPU pool, minute by minute, pure and fast (no
 * simulator, no clock). A steady real-time base, bursts, and a large batch job at night.
 * Three fleets side by side: sized by the platform's rule (shared/fleet/desiredCapacity.ts,
 * as the Auto Scaling policy applies it), fixed for the peak, fixed for the average.
 *
 * The pool model: an instance serves `throughputPerInstance` requests (or lines) a second
 * once started, and starts `startupSeconds` after it is asked for, billed from launch.
 * Real time goes first; what the ready instances cannot take overflows to Bedrock at once
 * (the router's fallback). Batch lines take what real time leaves and wait otherwise,
 * unless their deadline needs Bedrock: lines the pool could not finish in time go there.
 */

/** The day, the pool and the prices; every figure of the report follows from these. */
export interface FleetDayOptions {
  /** Real-time requests per second all day. */
  realTimeBasePerSecond: number;
  /** Bursts on top of the base: start hour, minutes, requests per second added. */
  bursts: Array<{ atHour: number; minutes: number; extraPerSecond: number }>;
  /** The night batch job: when it is dropped, its lines, and its completion window. */
  batch: { atHour: number; lines: number; windowHours: number };
  pool: {
    instanceType: string;
    throughputPerInstance: number;
    startupSeconds: number;
    drainSeconds: number;
    usdPerInstanceHour: number;
    /** The rule's bounds: a warm minimum for real time, and a ceiling. */
    min: number;
    max: number;
  };
  /** Latency of one real-time request served by the pool, and by Bedrock. */
  latencySeconds: { gpu: number; bedrock: number };
  /** Bedrock's price of one request (input and output tokens of a typical request). */
  bedrockUsdPerRequest: number;
}

/** What one fleet did over the day. */
export interface FleetDayFigures {
  fleet: string;
  /** Instances: most at once, and instance-hours billed (starting ones included). */
  peakInstances: number;
  gpuHours: number;
  gpuUsd: number;
  bedrockUsd: number;
  totalUsd: number;
  /** Share of all work (real-time requests and batch lines) that went to Bedrock. */
  overflowShare: number;
  /** Share of real-time requests that went to Bedrock (bursts, start-up from zero). */
  realTimeOverflowShare: number;
  /** Mean real-time latency, and the share of real-time requests served at Bedrock's. */
  realTimeMeanLatencySeconds: number;
  /** When the batch job was done, hours after it was dropped (null: not within the day). */
  batchDoneAfterHours: number | null;
}

/** The result of item 8. */
export interface FleetDayResult {
  options: FleetDayOptions;
  fleets: FleetDayFigures[];
}

/** The day the suite replays: gpt-oss-20b on g6e.xlarge (us-east-1 on-demand price), stated in BENCHMARKS.md. */
export const FLEET_DAY: FleetDayOptions = {
  realTimeBasePerSecond: 2,
  bursts: [
    { atHour: 9, minutes: 30, extraPerSecond: 14 },
    { atHour: 13, minutes: 20, extraPerSecond: 10 },
    { atHour: 17, minutes: 45, extraPerSecond: 18 },
  ],
  batch: { atHour: 1, lines: 400_000, windowHours: 24 },
  pool: {
    instanceType: 'g6e.xlarge',
    throughputPerInstance: 8,
    startupSeconds: 600,
    drainSeconds: 900,
    usdPerInstanceHour: 1.861,
    min: 1,
    max: 12,
  },
  latencySeconds: { gpu: 2, bedrock: 3.5 },
  // 1,000 input tokens at $0.07 per million and 500 output tokens at $0.30 per million.
  bedrockUsdPerRequest: 1_000 * (0.07 / 1e6) + 500 * (0.3 / 1e6),
};

const MINUTES = 24 * 60;

/** Real-time requests per second in minute `m` of the day. */
function realTimeRate(options: FleetDayOptions, minute: number): number {
  const extra = options.bursts
    .filter((burst) => minute >= burst.atHour * 60 && minute < burst.atHour * 60 + burst.minutes)
    .reduce((sum, burst) => sum + burst.extraPerSecond, 0);
  return options.realTimeBasePerSecond + extra;
}

/** How many instances a fleet asks for in minute `m`, given what waits. */
type Sizer = (state: { minute: number; batchWaiting: number; realTimeRate: number }) => number;

function simulate(options: FleetDayOptions, fleet: string, size: Sizer): FleetDayFigures {
  const { pool } = options;
  const startupMinutes = Math.ceil(pool.startupSeconds / 60);
  /** Launch minute of each instance alive. */
  let instances: number[] = [];
  let instanceMinutes = 0;
  let peakInstances = 0;
  let batchWaiting = 0;
  let batchDroppedAt: number | null = null;
  let batchDoneAt: number | null = null;
  let realTime = 0;
  let realTimeToBedrock = 0;
  let batchToBedrock = 0;
  const batchDeadline = (options.batch.atHour + options.batch.windowHours) * 60;
  for (let minute = 0; minute < MINUTES; minute++) {
    if (minute === options.batch.atHour * 60) {
      batchWaiting += options.batch.lines;
      batchDroppedAt = minute;
    }
    const rate = realTimeRate(options, minute);
    // The rule sees the backlog: batch lines waiting and real-time requests in flight.
    const desired = size({ minute, batchWaiting, realTimeRate: rate });
    if (desired > instances.length) instances.push(...Array.from({ length: desired - instances.length }, () => minute));
    // Scale in: the newest (perhaps still starting) instances go first.
    else if (desired < instances.length) instances = instances.slice(0, desired);
    peakInstances = Math.max(peakInstances, instances.length);
    instanceMinutes += instances.length;
    const ready = instances.filter((launched) => minute - launched >= startupMinutes).length;

    const capacity = ready * pool.throughputPerInstance * 60;
    const realTimeNow = rate * 60;
    const realTimeServed = Math.min(realTimeNow, capacity);
    realTime += realTimeNow;
    realTimeToBedrock += realTimeNow - realTimeServed;
    const batchServed = Math.min(batchWaiting, capacity - realTimeServed);
    batchWaiting -= batchServed;
    // Lines the pool at its ceiling could not finish before the deadline go to Bedrock now.
    if (batchWaiting > 0) {
      const minutesLeft = Math.max(0, batchDeadline - minute - 1);
      const mostTheFleetCanDo = minutesLeft * pool.max * pool.throughputPerInstance * 60;
      const late = Math.max(0, batchWaiting - mostTheFleetCanDo);
      batchToBedrock += late;
      batchWaiting -= late;
    }
    if (batchDroppedAt !== null && batchDoneAt === null && batchWaiting <= 0) batchDoneAt = minute + 1;
  }
  const gpuHours = instanceMinutes / 60;
  const gpuUsd = gpuHours * pool.usdPerInstanceHour;
  const bedrockUsd = (realTimeToBedrock + batchToBedrock) * options.bedrockUsdPerRequest;
  const work = realTime + options.batch.lines;
  const realTimeOverflowShare = realTimeToBedrock / realTime;
  return {
    fleet,
    peakInstances,
    gpuHours: round(gpuHours, 1),
    gpuUsd: round(gpuUsd, 2),
    bedrockUsd: round(bedrockUsd, 2),
    totalUsd: round(gpuUsd + bedrockUsd, 2),
    overflowShare: round((realTimeToBedrock + batchToBedrock) / work, 4),
    realTimeOverflowShare: round(realTimeOverflowShare, 4),
    realTimeMeanLatencySeconds: round(
      (1 - realTimeOverflowShare) * options.latencySeconds.gpu + realTimeOverflowShare * options.latencySeconds.bedrock,
      2,
    ),
    batchDoneAfterHours: batchDoneAt === null || batchDroppedAt === null ? null : round((batchDoneAt - batchDroppedAt) / 60, 2),
  };
}

/** Replays the day through the three fleets. Pure: the same options give the same figures. */
export function runFleetDay(options: FleetDayOptions = FLEET_DAY, log: (line: string) => void = () => {}): FleetDayResult {
  const { pool } = options;
  const perSecond = (rate: number) => Math.ceil(rate / pool.throughputPerInstance);
  let peakRate = 0;
  let totalRequests = options.batch.lines;
  for (let minute = 0; minute < MINUTES; minute++) {
    const rate = realTimeRate(options, minute);
    peakRate = Math.max(peakRate, rate);
    totalRequests += rate * 60;
  }
  const peakFleet = Math.min(pool.max, perSecond(peakRate));
  const averageFleet = Math.max(1, perSecond(totalRequests / (MINUTES * 60)));
  const fleets = [
    simulate(options, 'the rule (Auto Scaling on backlog)', ({ batchWaiting, realTimeRate: rate }) =>
      desiredCapacity({
        backlog: batchWaiting + rate * options.latencySeconds.gpu,
        throughputPerInstance: pool.throughputPerInstance,
        startupSeconds: pool.startupSeconds,
        drainSeconds: pool.drainSeconds,
        min: pool.min,
        max: pool.max,
      }),
    ),
    simulate(options, `fixed for the peak (${peakFleet})`, () => peakFleet),
    simulate(options, `fixed for the average (${averageFleet})`, () => averageFleet),
  ];
  for (const figures of fleets) {
    log(
      `  ${figures.fleet}: ${figures.gpuHours} GPU h, $${figures.totalUsd} ($${figures.gpuUsd} GPU + $${figures.bedrockUsd} Bedrock), ` +
        `${(figures.overflowShare * 100).toFixed(1)}% of work to Bedrock, real-time mean ${figures.realTimeMeanLatencySeconds} s, ` +
        `batch done after ${figures.batchDoneAfterHours ?? '—'} h`,
    );
  }
  return { options, fleets };
}
