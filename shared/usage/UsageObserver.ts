import type { RequestObserver, RequestReport } from '../realtime/InferenceService';
import type { UsageMeter } from './UsageMeter';

/**
 * The inference service's observer that counts usage: a served request adds one request
 * and its tokens to its tenant's meter; a stream adds its tokens when it ends. Requests
 * without a tenant (none on the HTTP routes) are not counted.
 */
export class UsageObserver implements RequestObserver {
  constructor(
    private readonly meter: Pick<UsageMeter, 'record'>,
    private readonly now: () => number = Date.now,
  ) {}

  onRequest(report: RequestReport): void {
    if (!report.ok || report.tenantId === undefined) return;
    this.meter.record({
      tenantId: report.tenantId,
      model: report.modelId,
      requests: 1,
      inputTokens: report.inputTokens ?? 0,
      outputTokens: report.outputTokens ?? 0,
      at: this.now(),
    });
  }

  onStreamUsage(report: { modelId: string; inputTokens: number; outputTokens: number; tenantId?: string }): void {
    if (report.tenantId === undefined) return;
    this.meter.record({
      tenantId: report.tenantId,
      model: report.modelId,
      requests: 0,
      inputTokens: report.inputTokens,
      outputTokens: report.outputTokens,
      at: this.now(),
    });
  }
}

/** Tells each observer in turn; one that throws does not keep the others from hearing. */
export function allObservers(...observers: RequestObserver[]): RequestObserver {
  return {
    onRequest: (report) => {
      for (const observer of observers) {
        try {
          observer.onRequest(report);
        } catch {
          // Observation is best effort.
        }
      }
    },
    onStreamUsage: (report) => {
      for (const observer of observers) {
        try {
          observer.onStreamUsage?.(report);
        } catch {
          // Observation is best effort.
        }
      }
    },
  };
}
