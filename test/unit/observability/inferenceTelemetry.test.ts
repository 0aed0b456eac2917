import type { CallReport } from '../../../shared/batchingCore/types';
import { InferenceTelemetry } from '../../../shared/observability/inferenceTelemetry';
import type { MetricDimensions, MetricValue } from '../../../shared/observability/metrics';

/** A telemetry whose logger and metrics are captured. */
function captured() {
  const warnings: Array<[string, Record<string, unknown>]> = [];
  const published: Array<{ dimensions: MetricDimensions; values: MetricValue[]; metadata?: Record<string, unknown> }> = [];
  const telemetry = new InferenceTelemetry({
    logger: {
      warn: ((message: string, fields: Record<string, unknown>) => warnings.push([message, fields])) as never,
      info: (() => undefined) as never,
    },
    publish: (dimensions, values, metadata) => published.push({ dimensions, values, metadata }),
  });
  return { telemetry, warnings, published };
}

const call = (patch: Partial<CallReport>): CallReport => ({
  route: 'chat:gpt-oss-20b|seed',
  backendId: 'gpu',
  items: 1,
  durationMs: 40,
  result: 'ok',
  itemErrors: 0,
  inputTokens: 6,
  outputTokens: 16,
  ...patch,
});

describe('InferenceTelemetry', () => {
  it('logs a WARN with backend, model and code when a backend call fails, and counts it by code', () => {
    // Prepare
    const { telemetry, warnings, published } = captured();
    // Act
    telemetry.onCall(call({ result: 'failed', code: 'backend_unavailable', items: 3 }));
    // Assess
    expect(warnings).toEqual([
      ['backend call failed', { backendId: 'gpu', model: 'gpt-oss-20b', code: 'backend_unavailable', items: 3, durationMs: 40 }],
    ]);
    expect(published).toContainEqual({
      dimensions: { model: 'gpt-oss-20b', backend: 'gpu', code: 'backend_unavailable' },
      values: [{ name: 'BackendErrors', value: 3 }],
      metadata: undefined,
    });
  });

  it('logs a WARN when a backend throttles, and counts the throttle', () => {
    // Prepare
    const { telemetry, warnings, published } = captured();
    // Act
    telemetry.onCall(call({ result: 'throttled', code: 'rate_limit_exceeded' }));
    // Assess
    expect(warnings.map(([message, fields]) => [message, fields.backendId, fields.code])).toEqual([
      ['backend throttled', 'gpu', 'rate_limit_exceeded'],
    ]);
    expect(published[0]!.values.map((value) => value.name)).toContain('BackendThrottles');
  });

  it('logs a WARN when a request falls back, and when a circuit opens and closes', () => {
    // Prepare
    const { telemetry, warnings, published } = captured();
    // Act
    telemetry.onFallback({ modelId: 'gpt-oss-20b', from: 'gpu', to: 'bedrock', reason: 'retry' });
    telemetry.onCircuit({ backendId: 'gpu', state: 'open' });
    telemetry.onCircuit({ backendId: 'gpu', state: 'closed' });
    // Assess
    expect(warnings).toEqual([
      ['request falls back to another backend', { model: 'gpt-oss-20b', backendId: 'gpu', fallbackTo: 'bedrock', reason: 'retry' }],
      [expect.stringContaining('circuit opened'), { backendId: 'gpu', state: 'open' }],
      [expect.stringContaining('circuit closed'), { backendId: 'gpu', state: 'closed' }],
    ]);
    expect(published.map((blob) => blob.values[0]!.name)).toEqual(['Fallbacks', 'CircuitOpens', 'CircuitCloses']);
  });

  it('logs nothing for a successful call, and counts calls, items, latency and tokens per model and backend', () => {
    // Prepare
    const { telemetry, warnings, published } = captured();
    // Act
    telemetry.onCall(call({ items: 4 }));
    // Assess
    expect(warnings).toEqual([]);
    expect(published).toEqual([
      {
        dimensions: { model: 'gpt-oss-20b', backend: 'gpu' },
        values: [
          { name: 'BackendCalls', value: 1 },
          { name: 'ItemsPerCall', value: 4 },
          { name: 'BackendLatency', value: 40, unit: 'Milliseconds' },
          { name: 'InputTokens', value: 6 },
          { name: 'OutputTokens', value: 16 },
        ],
        metadata: undefined,
      },
    ]);
  });

  it('puts the tenant of a request in the metadata, never in the dimensions', () => {
    // Prepare
    const { telemetry, published } = captured();
    // Act
    telemetry.onRequest({
      modelId: 'gpt-oss-20b',
      kind: 'chat',
      latencyMs: 12,
      ok: false,
      code: 'all_backends_unavailable',
      tenantId: 'acme',
    });
    // Assess
    expect(published.map((blob) => blob.dimensions)).toEqual([
      { model: 'gpt-oss-20b', backend: 'none' },
      { pool: 'gpt-oss-20b' },
      { model: 'gpt-oss-20b', code: 'all_backends_unavailable' },
    ]);
    expect(published.every((blob) => blob.metadata?.tenant === 'acme')).toBe(true);
  });

  it('never logs a prompt or a key: only ids, counts and codes', () => {
    // Prepare
    const { telemetry, warnings } = captured();
    // Act
    telemetry.onCall(call({ result: 'failed', code: 'backend_unavailable' }));
    telemetry.onFallback({ modelId: 'gpt-oss-20b', from: 'gpu', to: 'bedrock', reason: 'circuit_open' });
    // Assess
    const keys = new Set(warnings.flatMap(([, fields]) => Object.keys(fields)));
    expect([...keys].sort()).toEqual(['backendId', 'code', 'durationMs', 'fallbackTo', 'items', 'model', 'reason']);
  });
});
