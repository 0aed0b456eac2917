import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger } from './logger';

/** The CloudWatch namespace every platform metric is published in. */
export const METRICS_NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE || 'InferencePlatform';

/** The `service` dimension every metric carries (Powertools' default dimension). */
export const METRICS_SERVICE = process.env.POWERTOOLS_SERVICE_NAME || 'inference-platform';

/**
 * Where Powertools Metrics reports its own warnings: the platform logger, except the
 * "no application metrics" notice, which an invocation that had nothing to count (most of
 * them: `GET /health`, a finalize) would otherwise print every time.
 */
const metricsLogger = {
  trace: (...args: unknown[]) => logger.debug(String(args[0])),
  debug: (...args: unknown[]) => logger.debug(String(args[0])),
  info: (...args: unknown[]) => logger.info(String(args[0])),
  error: (...args: unknown[]) => logger.error(String(args[0])),
  warn: (...args: unknown[]) => {
    const message = String(args[0]);
    if (message.startsWith('No application metrics')) logger.debug(message);
    else logger.warn(message);
  },
};

/**
 * The platform's one Metrics instance (Powertools, CloudWatch EMF), next to the logger.
 * Handlers flush it through {@link withMetrics} / {@link metricsMiddleware} (middy's
 * `logMetrics`, with the cold-start metric). Metrics that need their own dimensions
 * (model, backend, status) go out through {@link publishMetrics} instead.
 */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, logger: metricsLogger });

/** Dimensions of one published blob: few and bounded (model, backend, code, status), never a tenant or an id. */
export type MetricDimensions = Record<string, string>;

/** One value to publish: a count unless a unit is given. */
export interface MetricValue {
  name: string;
  value: number;
  unit?: (typeof MetricUnit)[keyof typeof MetricUnit];
}

/**
 * Publishes `values` at once as one EMF line (stdout, read by CloudWatch Logs), each under
 * two dimension sets: `service` plus `dimensions` (the breakdown, e.g. per model and
 * backend) and `service` alone (the total, which alarms watch). `metadata` rides along as
 * plain properties of the line: searchable in Logs Insights, never a dimension (this is
 * where the tenant goes, so the number of metrics does not grow with the tenants).
 */
export function publishMetrics(
  dimensions: MetricDimensions,
  values: MetricValue[],
  metadata: Record<string, string | number | undefined> = {},
): void {
  if (values.length === 0 || metricsDisabled()) return;
  const blob = blobOf(dimensions);
  for (const { name, value, unit } of values) blob.addMetric(name, unit ?? MetricUnit.Count, value);
  for (const [key, value] of Object.entries(metadata)) if (value !== undefined) blob.addMetadata(key, String(value));
  blob.publishStoredMetrics();
}

/**
 * Values gathered per dimension set go out together once a metric of the set has this
 * many: one under EMF's 100 values per metric in a line, because Powertools publishes (and
 * clears the dimensions of) a blob by itself when a metric reaches 100.
 */
const GATHERED_MAX_VALUES = 99;
/** The longest values wait to be published (a timer that does not keep the process alive). */
const GATHERED_MAX_AGE_MS = 1_000;

/** Values waiting to go out, per dimension set (keyed by its sorted entries). */
const gathered = new Map<string, { dimensions: MetricDimensions; values: Map<string, { unit: MetricValue['unit']; values: number[] }> }>();
let gatheredTimer: NodeJS.Timeout | undefined;
let flushOnExit = false;

/**
 * {@link publishMetrics} for values counted per backend call, thousands a second in a busy
 * worker: they are gathered per dimension set and published as one EMF line of up to 99
 * values per metric (CloudWatch takes a metric's values as an array), when a metric has
 * that many, after at most a second, or when {@link flushGatheredMetrics} is called (the
 * metrics middleware does at the end of every invocation). A line per call cost as much
 * CPU as a tenth of the work of a call. Values with `metadata` are published at once.
 */
export function gatherMetrics(
  dimensions: MetricDimensions,
  values: MetricValue[],
  metadata: Record<string, string | number | undefined> = {},
): void {
  if (values.length === 0 || metricsDisabled()) return;
  if (Object.values(metadata).some((value) => value !== undefined)) {
    publishMetrics(dimensions, values, metadata);
    return;
  }
  const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : 1)));
  let set = gathered.get(key);
  if (!set) {
    set = { dimensions, values: new Map() };
    gathered.set(key, set);
  }
  let full = false;
  for (const { name, value, unit } of values) {
    let metric = set.values.get(name);
    if (!metric) {
      metric = { unit, values: [] };
      set.values.set(name, metric);
    }
    metric.values.push(value);
    if (metric.values.length >= GATHERED_MAX_VALUES) full = true;
  }
  if (full) publishGathered(key);
  else if (gatheredTimer === undefined) {
    gatheredTimer = setTimeout(flushGatheredMetrics, GATHERED_MAX_AGE_MS).unref();
    // A process that ends (a local tool, the bench) publishes what waits rather than drop it.
    if (!flushOnExit) {
      flushOnExit = true;
      process.once('beforeExit', flushGatheredMetrics);
    }
  }
}

/** Publishes every value {@link gatherMetrics} holds. */
export function flushGatheredMetrics(): void {
  clearTimeout(gatheredTimer);
  gatheredTimer = undefined;
  for (const key of [...gathered.keys()]) publishGathered(key);
}

function publishGathered(key: string): void {
  const set = gathered.get(key);
  gathered.delete(key);
  if (!set) return;
  const blob = blobOf(set.dimensions);
  for (const [name, metric] of set.values) for (const value of metric.values) blob.addMetric(name, metric.unit ?? MetricUnit.Count, value);
  blob.publishStoredMetrics();
}

/** A blob of one EMF line under two dimension sets: `service` plus `dimensions`, and `service` alone (the total). */
function blobOf(dimensions: MetricDimensions): Metrics {
  const blob = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, logger: metricsLogger });
  for (const [name, value] of Object.entries(dimensions)) if (value) blob.addDimension(name, value);
  if (Object.keys(dimensions).length > 0) blob.addDimensions({});
  return blob;
}

/**
 * Whether metrics are off, as Powertools decides it: POWERTOOLS_METRICS_DISABLED when
 * set, else POWERTOOLS_DEV. Checked first so that a disabled publish costs nothing.
 */
function metricsDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const disabled = env.POWERTOOLS_METRICS_DISABLED;
  if (disabled !== undefined && disabled.trim() !== '') return truthy(disabled);
  return truthy(env.POWERTOOLS_DEV);
}

const TRUTHY = new Set(['1', 'true', 'yes', 'on']);

/** Powertools' reading of a boolean variable. */
function truthy(value: string | undefined): boolean {
  return value !== undefined && TRUTHY.has(value.trim().toLowerCase());
}

export { MetricUnit };
