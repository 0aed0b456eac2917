import { MetricUnit, publishMetrics, type MetricDimensions, type MetricValue } from './metrics';

/**
 * The GPU pools' scaling signal, per pool (dimension `pool`: the public model id). The
 * fleet's scaling policy (scripts/osls/gpuFleet.js) adds the two, each read so that
 * CloudWatch's aggregation gives the pool's total:
 *
 * - `PoolBacklog`: the batch lines queued for the pool, summed over every active job by
 *   one scheduled publisher (functions/schedule/poolBacklog.ts) once a minute; read as the
 *   minute's Maximum (a second run in the same minute repeats, never adds).
 * - `PoolBusySeconds`: each real-time request, from any container, adds its seconds in the
 *   core when it ends; the minute's Sum divided by 60 is the average number of real-time
 *   requests in flight during it (Little's law), with no shared counter to write.
 */
export const POOL_METRICS = {
  backlog: 'PoolBacklog',
  busySeconds: 'PoolBusySeconds',
} as const;

type Publish = (dimensions: MetricDimensions, values: MetricValue[], metadata?: Record<string, string | number | undefined>) => void;

/** Publishes each pool's queued batch lines, one EMF line per pool. */
export function publishPoolBacklog(backlog: Record<string, number>, publish: Publish = publishMetrics): void {
  for (const [pool, lines] of Object.entries(backlog)) publish({ pool }, [{ name: POOL_METRICS.backlog, value: lines }]);
}

/** The metric value of one real-time request's time in the core, for its model's pool. */
export function poolBusySeconds(latencyMs: number): MetricValue {
  return { name: POOL_METRICS.busySeconds, value: Math.max(0, latencyMs) / 1000, unit: MetricUnit.Seconds };
}
