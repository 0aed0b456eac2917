import type { Context } from 'aws-lambda';
import { publishMetrics } from '../../../shared/observability/metrics';
import { emfLines, emfSum } from '../../helpers/emf';

/** Loads the observability modules afresh with metrics on, and captures stdout while `act` runs. */
async function withEmf(
  act: (modules: {
    metrics: typeof import('../../../shared/observability/metrics');
    withMetrics: typeof import('../../../shared/observability/withMetrics');
    jobs: typeof import('../../../shared/observability/jobTelemetry');
    pools: typeof import('../../../shared/observability/poolMetrics');
    inference: typeof import('../../../shared/observability/inferenceTelemetry');
  }) => Promise<void>,
): Promise<string> {
  const saved = { disabled: process.env.POWERTOOLS_METRICS_DISABLED, init: process.env.AWS_LAMBDA_INITIALIZATION_TYPE };
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  let output = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output += chunk.toString();
    return true;
  });
  try {
    let modules!: Parameters<typeof act>[0];
    jest.isolateModules(() => {
      modules = {
        metrics: require('../../../shared/observability/metrics'),
        withMetrics: require('../../../shared/observability/withMetrics'),
        jobs: require('../../../shared/observability/jobTelemetry'),
        pools: require('../../../shared/observability/poolMetrics'),
        inference: require('../../../shared/observability/inferenceTelemetry'),
      };
    });
    await act(modules);
  } finally {
    write.mockRestore();
    process.env.POWERTOOLS_METRICS_DISABLED = saved.disabled;
    if (saved.init === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = saved.init;
  }
  return output;
}

const context = { functionName: 'inference-platform-dev-worker', getRemainingTimeInMillis: () => 1_000 } as unknown as Context;

describe('metrics (Powertools EMF)', () => {
  it('publishes one EMF line per blob, with the breakdown and the service-wide dimension sets and metadata as properties', async () => {
    // Act
    const output = await withEmf(async ({ metrics }) => {
      metrics.publishMetrics(
        { model: 'm', backend: 'b' },
        [
          { name: 'Requests', value: 1 },
          { name: 'RequestLatency', value: 30, unit: metrics.MetricUnit.Milliseconds },
        ],
        { tenant: 'acme' },
      );
    });
    // Assess
    const [line] = emfLines(output);
    expect(line!._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'InferencePlatform',
      Dimensions: [['service', 'model', 'backend'], ['service']],
      Metrics: [
        { Name: 'Requests', Unit: 'Count' },
        { Name: 'RequestLatency', Unit: 'Milliseconds' },
      ],
    });
    expect(line).toMatchObject({ model: 'm', backend: 'b', tenant: 'acme', Requests: 1, RequestLatency: 30 });
  });

  it('counts a cold start on the first invocation of a handler wrapped withMetrics, and flushes what the handler added', async () => {
    // Act
    const output = await withEmf(async ({ metrics, withMetrics }) => {
      const handler = withMetrics.withMetrics(async () => {
        metrics.metrics.addMetric('Handled', metrics.MetricUnit.Count, 1);
        return 'ok';
      });
      await handler({}, context);
      await handler({}, context);
    });
    // Assess
    const lines = emfLines(output);
    expect(emfSum(lines, 'ColdStart', { function_name: 'inference-platform-dev-worker' })).toBe(1);
    expect(emfSum(lines, 'Handled')).toBe(2);
  });

  it('publishes job throughput and backlog with the job and tenant as metadata', async () => {
    // Act
    const output = await withEmf(async ({ jobs }) => {
      jobs.jobTelemetry.onChunkDone!({
        jobId: 'batch_1',
        tenantId: 'acme',
        lines: 50,
        durationMs: 2_000,
        backlogLines: 150,
        backlogChunks: 3,
      });
      jobs.jobTelemetry.onJobEnded!({ jobId: 'batch_1', tenantId: 'acme', status: 'failed', lines: 200, durationSeconds: 100 });
    });
    // Assess
    const lines = emfLines(output);
    expect(emfSum(lines, 'LinesPerSecond')).toBe(25);
    expect(emfSum(lines, 'JobBacklogLines')).toBe(150);
    expect(emfSum(lines, 'JobsFinished', { status: 'failed' })).toBe(1);
    expect(lines.every((line) => line.jobId === 'batch_1' && line.tenant === 'acme')).toBe(true);
    expect(lines[1]!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'status'], ['service']]);
  });

  it('publishes the batch backlog of each GPU pool with the pool as a dimension', async () => {
    // Act
    const output = await withEmf(async ({ pools }) => {
      pools.publishPoolBacklog({ 'gpt-oss-20b': 300, 'gpt-oss-120b': 0 });
    });
    // Assess: one line per pool, an idle pool's 0 included
    const lines = emfLines(output);
    expect(emfSum(lines, 'PoolBacklog', { pool: 'gpt-oss-20b' })).toBe(300);
    expect(emfSum(lines, 'PoolBacklog', { pool: 'gpt-oss-120b' })).toBe(0);
    expect(lines).toHaveLength(2);
    expect(lines[0]!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'pool'], ['service']]);
  });

  it("adds each real-time request's seconds in the core to its pool's busy time, served or not, so that requests from any container add up", async () => {
    // Act: two requests of one model from two telemetry instances (two containers), one of another
    const output = await withEmf(async ({ inference }) => {
      const first = new inference.InferenceTelemetry();
      const second = new inference.InferenceTelemetry();
      first.onRequest({ modelId: 'gpt-oss-20b', kind: 'chat', backendId: 'gpu-chat:gpt-oss-20b', latencyMs: 1_500, ok: true });
      second.onRequest({ modelId: 'gpt-oss-20b', kind: 'chat', latencyMs: 500, ok: false, code: 'backend_unavailable' });
      second.onRequest({ modelId: 'gpt-oss-120b', kind: 'chat', backendId: 'bedrock:x', latencyMs: 2_000, ok: true });
    });
    // Assess: Sum per minute / 60 = requests in flight on average
    const lines = emfLines(output);
    expect(emfSum(lines, 'PoolBusySeconds', { pool: 'gpt-oss-20b' })).toBe(2);
    expect(emfSum(lines, 'PoolBusySeconds', { pool: 'gpt-oss-120b' })).toBe(2);
  });

  it('gathers per-call metrics into EMF lines of up to 99 values per metric, and a handler wrapped withMetrics publishes the rest as it ends', async () => {
    // Act: 150 calls of one backend, then one of another, inside one invocation
    const output = await withEmf(async ({ inference, withMetrics }) => {
      const telemetry = new inference.InferenceTelemetry();
      const call = (backendId: string) =>
        telemetry.onCall({
          route: 'gpt-oss-20b',
          backendId,
          items: 2,
          durationMs: 40,
          result: 'ok',
          itemErrors: 0,
          inputTokens: 3,
          outputTokens: 5,
        });
      const handler = withMetrics.withMetrics(async () => {
        for (let n = 0; n < 150; n += 1) call('gpu-chat:a');
        call('gpu-chat:b');
        return 'ok';
      });
      await handler({}, context);
    });
    // Assess: every value counted, in three lines rather than 151
    const lines = emfLines(output).filter((line) => line.BackendCalls !== undefined);
    expect(lines).toHaveLength(3);
    expect(emfSum(lines, 'BackendCalls', { backend: 'gpu-chat:a' })).toBe(150);
    expect(emfSum(lines, 'ItemsPerCall', { backend: 'gpu-chat:a' })).toBe(300);
    expect(emfSum(lines, 'OutputTokens', { backend: 'gpu-chat:b' })).toBe(5);
    expect(lines[0]!.BackendLatency).toHaveLength(99);
  });

  it('publishes nothing while metrics are disabled', async () => {
    // Prepare: the test environment disables metrics.
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    // Act
    publishMetrics({ model: 'm' }, [{ name: 'Requests', value: 1 }]);
    // Assess
    expect(write).not.toHaveBeenCalled();
    write.mockRestore();
  });
});
