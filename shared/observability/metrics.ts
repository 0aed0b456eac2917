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
  const blob = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, logger: metricsLogger });
  for (const [name, value] of Object.entries(dimensions)) if (value) blob.addDimension(name, value);
  if (Object.keys(dimensions).length > 0) blob.addDimensions({});
  for (const { name, value, unit } of values) blob.addMetric(name, unit ?? MetricUnit.Count, value);
  for (const [key, value] of Object.entries(metadata)) if (value !== undefined) blob.addMetadata(key, String(value));
  blob.publishStoredMetrics();
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
