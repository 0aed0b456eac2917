import { createHandler, reusedFor } from '../../../functions/http/status';
import { ModelCatalogue } from '../../../shared/domain/catalogue';
import { backendNames, checkBackends, poolHealth, type StatusReport } from '../../../shared/routing/backendStatus';
import { invokeHandler, loadEvent } from '../../helpers/events';

const catalogue = ModelCatalogue.parse({
  models: [
    {
      id: 'chat-a',
      kind: 'chat',
      contextTokens: 1000,
      maxOutputTokens: 100,
      backends: [
        { provider: 'openai-compatible', id: 'gpu-chat:secret-host', model: 'a', baseUrls: ['http://gpu-1:8000/v1', 'http://gpu-2:8000'] },
        { provider: 'bedrock', id: 'bedrock:a', model: 'openai.a' },
      ],
    },
    {
      id: 'chat-b',
      kind: 'chat',
      contextTokens: 1000,
      maxOutputTokens: 100,
      backends: [
        { provider: 'openai-compatible', id: 'gpu-chat:b', model: 'b', baseUrls: ['http://gpu-1:8000/v1', 'http://gpu-2:8000'] },
        { provider: 'openai-compatible', id: 'gpu-spare:b', model: 'b', baseUrls: ['http://gpu-9:8000'], apiKey: 'k-9' },
      ],
    },
  ],
});

describe('backend status', () => {
  it('names backends by kind in the model order, numbering a second of a kind', () => {
    expect(catalogue.models.map(backendNames)).toEqual([
      ['gpu-pool', 'bedrock'],
      ['gpu-pool', 'gpu-pool-2'],
    ]);
  });

  it('calls a pool up when every server answers, degraded when some do, down when none do', () => {
    expect([poolHealth(2, 2), poolHealth(1, 2), poolHealth(0, 2), poolHealth(0, 0)]).toEqual(['up', 'degraded', 'down', 'down']);
  });

  it('probes each GPU server once (with its key), reports by name, and answers no backend id or URL', async () => {
    // Prepare: gpu-2 is down, gpu-9 throws.
    const probed: string[] = [];
    const probe = async (url: string, key: string | undefined) => {
      probed.push(`${url} ${key ?? '-'}`);
      if (url.includes('gpu-9')) throw new Error('connect ECONNREFUSED');
      return !url.includes('gpu-2');
    };
    // Act
    const report = await checkBackends(catalogue.models, probe, { timeoutMs: 1000, now: () => 5_000_000 });
    // Assess
    expect(probed.sort()).toEqual(['http://gpu-1:8000/v1 -', 'http://gpu-2:8000 -', 'http://gpu-9:8000 k-9']);
    expect(report).toEqual({
      object: 'status',
      checked_at: 5_000,
      models: [
        {
          id: 'chat-a',
          kind: 'chat',
          backends: [
            { name: 'gpu-pool', provider: 'openai-compatible', health: 'degraded', servers: { up: 1, total: 2 } },
            { name: 'bedrock', provider: 'bedrock', health: 'unprobed' },
          ],
        },
        {
          id: 'chat-b',
          kind: 'chat',
          backends: [
            { name: 'gpu-pool', provider: 'openai-compatible', health: 'degraded', servers: { up: 1, total: 2 } },
            { name: 'gpu-pool-2', provider: 'openai-compatible', health: 'down', servers: { up: 0, total: 1 } },
          ],
        },
      ],
    });
    expect(JSON.stringify(report)).not.toMatch(/gpu-\d|secret-host|gpu-chat|k-9|http/);
  });
});

describe('GET /v1/status', () => {
  const report: StatusReport = { object: 'status', checked_at: 1, models: [] };

  it('answers the report as JSON, never cached by the browser', async () => {
    const response = await invokeHandler(createHandler({ report: async () => report }), loadEvent('http/status.json'));
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(response.body)).toEqual(report);
  });

  it('reuses one check for a few seconds, and checks again after them or after a failure', async () => {
    let now = 0;
    let checks = 0;
    let fail = false;
    const check = async () => {
      checks++;
      if (fail) throw new Error('probe crashed');
      return report;
    };
    const reused = reusedFor(5_000, check, () => now);
    await reused();
    now = 4_999;
    await reused();
    expect(checks).toBe(1);
    now = 5_000;
    fail = true;
    await expect(reused()).rejects.toThrow('probe crashed');
    fail = false;
    await reused();
    expect(checks).toBe(3);
  });
});
