import type { CallReport, DispatchObserver, RetryReport } from '../batchingCore/types';
import type { RequestObserver, RequestReport } from '../realtime/InferenceService';
import type { FallbackReason, RoutingObserver } from '../routing/ModelRouter';
import { parseRoute } from '../routing/ModelRouter';
import { logger as platformLogger } from './logger';
import { gatherMetrics, MetricUnit, publishMetrics, type MetricDimensions, type MetricValue } from './metrics';
import { poolBusySeconds } from './poolMetrics';

/** The names of the inference metrics, in the platform's namespace. */
export const INFERENCE_METRICS = {
  /** Real-time requests run through the core (model, backend). */
  requests: 'Requests',
  /** Their time in the core, ms (model, backend): p50/p99 come from this metric. */
  requestLatency: 'RequestLatency',
  /** Real-time requests not served, by error code (model, code). */
  requestErrors: 'RequestErrors',
  /** Backend calls (model, backend), and the items each carried (`ItemsPerCall`: its average is how well batching packs). */
  backendCalls: 'BackendCalls',
  itemsPerCall: 'ItemsPerCall',
  /** Duration of each backend call, ms (model, backend). */
  backendLatency: 'BackendLatency',
  /** Tokens of the items served, every path (model, backend). */
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
  /** Items that met a backend error (a failed, throttled or refused call, or an item answered with an error), by code (model, backend, code). */
  backendErrors: 'BackendErrors',
  /** Backend calls refused for load (model, backend). */
  throttles: 'BackendThrottles',
  /** Items scheduled for another attempt (model, backend). */
  retries: 'Retries',
  /** Calls sent to another backend than the model's first (model, backend: the one passed over). */
  fallbacks: 'Fallbacks',
  /** Circuit changes (backend). */
  circuitOpens: 'CircuitOpens',
  circuitCloses: 'CircuitCloses',
} as const;

/** Where the telemetry logs and publishes; tests pass their own. */
export interface InferenceTelemetryDeps {
  logger?: Pick<typeof platformLogger, 'warn' | 'info'>;
  publish?: (dimensions: MetricDimensions, values: MetricValue[], metadata?: Record<string, string | number | undefined>) => void;
  /** Where the per-call metrics go: {@link gatherMetrics} by default (one EMF line per many calls), `publish` when a test gives one. */
  gather?: (dimensions: MetricDimensions, values: MetricValue[]) => void;
}

/**
 * The observability adapter of inference: the batching core's {@link DispatchObserver},
 * the router's {@link RoutingObserver} and the service's {@link RequestObserver}, turned
 * into EMF metrics (dimensions: model, backend, and code where it matters; the tenant as
 * metadata only) and WARN lines an on-call engineer can act on: backend id, model and
 * code, never a prompt, an answer or a key.
 */
export class InferenceTelemetry implements DispatchObserver, RoutingObserver, RequestObserver {
  readonly #logger: NonNullable<InferenceTelemetryDeps['logger']>;
  readonly #publish: NonNullable<InferenceTelemetryDeps['publish']>;
  readonly #gather: NonNullable<InferenceTelemetryDeps['gather']>;

  constructor(deps: InferenceTelemetryDeps = {}) {
    this.#logger = deps.logger ?? platformLogger;
    this.#publish = deps.publish ?? publishMetrics;
    this.#gather = deps.gather ?? deps.publish ?? gatherMetrics;
  }

  onCall(report: CallReport): void {
    const model = parseRoute(report.route).modelId;
    const dimensions = { model, backend: report.backendId };
    const values: MetricValue[] = [
      { name: INFERENCE_METRICS.backendCalls, value: 1 },
      { name: INFERENCE_METRICS.itemsPerCall, value: report.items },
      { name: INFERENCE_METRICS.backendLatency, value: report.durationMs, unit: MetricUnit.Milliseconds },
    ];
    if (report.result === 'ok') {
      values.push(
        { name: INFERENCE_METRICS.inputTokens, value: report.inputTokens },
        { name: INFERENCE_METRICS.outputTokens, value: report.outputTokens },
      );
    }
    if (report.result === 'throttled') values.push({ name: INFERENCE_METRICS.throttles, value: 1 });
    this.#gather(dimensions, values);
    if ((report.result !== 'ok' && report.result !== 'aborted') || report.itemErrors > 0) {
      const code = report.code ?? 'item_errors';
      this.#gather({ ...dimensions, code }, [
        { name: INFERENCE_METRICS.backendErrors, value: report.result === 'ok' ? report.itemErrors : report.items },
      ]);
    }
    if (report.result === 'failed') {
      this.#logger.warn('backend call failed', {
        backendId: report.backendId,
        model,
        code: report.code,
        items: report.items,
        durationMs: report.durationMs,
      });
    } else if (report.result === 'throttled') {
      this.#logger.warn('backend throttled', { backendId: report.backendId, model, code: report.code, items: report.items });
    }
  }

  onRetry(report: RetryReport): void {
    const model = parseRoute(report.route).modelId;
    this.#publish({ model, backend: report.backendId ?? 'none' }, [{ name: INFERENCE_METRICS.retries, value: report.items }], {
      code: report.code,
    });
  }

  onFallback(event: { modelId: string; from: string; to: string; reason: FallbackReason }): void {
    this.#publish({ model: event.modelId, backend: event.from }, [{ name: INFERENCE_METRICS.fallbacks, value: 1 }], {
      fallbackTo: event.to,
      reason: event.reason,
    });
    this.#logger.warn('request falls back to another backend', {
      model: event.modelId,
      backendId: event.from,
      fallbackTo: event.to,
      reason: event.reason,
    });
  }

  onCircuit(event: { backendId: string; state: 'open' | 'closed' }): void {
    const name = event.state === 'open' ? INFERENCE_METRICS.circuitOpens : INFERENCE_METRICS.circuitCloses;
    this.#publish({ backend: event.backendId }, [{ name, value: 1 }]);
    this.#logger.warn(
      event.state === 'open' ? 'circuit opened: backend skipped until a probe succeeds' : 'circuit closed: backend back in service',
      { backendId: event.backendId, state: event.state },
    );
  }

  onStreamUsage(report: { modelId: string; backendId: string; inputTokens: number; outputTokens: number; tenantId?: string }): void {
    this.#publish(
      { model: report.modelId, backend: report.backendId },
      [
        { name: INFERENCE_METRICS.inputTokens, value: report.inputTokens },
        { name: INFERENCE_METRICS.outputTokens, value: report.outputTokens },
      ],
      { tenant: report.tenantId, kind: 'chatStream' },
    );
  }

  onRequest(report: RequestReport): void {
    const metadata = { tenant: report.tenantId, kind: report.kind };
    this.#publish(
      { model: report.modelId, backend: report.backendId ?? 'none' },
      [
        { name: INFERENCE_METRICS.requests, value: 1 },
        { name: INFERENCE_METRICS.requestLatency, value: report.latencyMs, unit: MetricUnit.Milliseconds },
      ],
      metadata,
    );
    // Demand on the model's GPU pool, served there or overflowed: the fleet scales on it (poolMetrics.ts).
    this.#publish({ pool: report.modelId }, [poolBusySeconds(report.latencyMs)], metadata);
    if (!report.ok)
      this.#publish(
        { model: report.modelId, code: report.code ?? 'unknown' },
        [{ name: INFERENCE_METRICS.requestErrors, value: 1 }],
        metadata,
      );
  }
}
