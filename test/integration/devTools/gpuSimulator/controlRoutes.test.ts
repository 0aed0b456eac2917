import { startSimulator, type RunningSimulator } from '../../../../shared/devTools/gpuSimulator/server';

/** The `/_sim` control plane over HTTP. */
describe('GPU simulator, /_sim control routes', () => {
  let sim: RunningSimulator;

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  }

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, passMs: 5, itemMs: 0, slots: 2 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('reports the configuration with its throughput ceiling', async () => {
    // Act
    const { status, json } = await call('GET', '/_sim/config');

    // Assess
    expect(status).toBe(200);
    expect(json).toMatchObject({ passMs: 5, itemMs: 0, slots: 2, maxItemsPerPass: 64, dimensions: 1024, poisonMarker: '__POISON__' });
    expect(json.maxItemsPerSecond).toBeCloseTo((2 * 64 * 1000) / 5, 6);
  });

  it('changes knobs at run time, and the next requests follow them', async () => {
    // Act
    const update = await call('POST', '/_sim/config', { dimensions: 16, bedrock: { errorRate: 0.25 } });
    const embedding = await call('POST', '/v1/embeddings', { model: 'bge-m3', input: 'x' });

    // Assess
    expect(update.status).toBe(200);
    expect(update.json).toMatchObject({ dimensions: 16, bedrock: { errorRate: 0.25, throttleRate: 0 }, openai: { errorRate: 0 } });
    expect(sim.config.dimensions).toBe(16);
    expect(embedding.json.data[0].embedding).toHaveLength(16);
  });

  it.each([
    [{ slots: -1 }, 'slots'],
    [{ openai: { throttleRate: 2 } }, 'openai.throttleRate'],
    [{ unknownKnob: true }, 'unknownKnob'],
    [{ tokensPerSecond: -5 }, 'tokensPerSecond'],
    [{ bedrock: { midStreamErrorRate: 1.5 } }, 'bedrock.midStreamErrorRate'],
    ['{not json', null],
    [[1, 2], null],
  ])('answers 400 with a message for %j', async (body, param) => {
    // Prepare
    const before = sim.config;

    // Act
    const { status, json } = await call('POST', '/_sim/config', body);

    // Assess
    expect(status).toBe(400);
    expect(json.error.message).toEqual(expect.any(String));
    expect(json.error.param).toBe(param);
    expect(sim.config).toEqual(before);
  });

  it('counts requests in /_sim/stats and zeroes them on reset', async () => {
    // Prepare
    await call('POST', '/_sim/reset');
    await call('POST', '/v1/embeddings', { model: 'bge-m3', input: ['a', 'b', 'c'] });

    // Act
    const before = await call('GET', '/_sim/stats');
    const reset = await call('POST', '/_sim/reset');
    const after = await call('GET', '/_sim/stats');

    // Assess
    expect(before.json).toMatchObject({ requests: 1, items: 3, passes: { count: 1, items: 3, meanItems: 3 } });
    expect(before.json.faces.openai.byRoute.embeddings).toEqual({ requests: 1, items: 3 });
    expect(before.json.busySlotMs).toBeGreaterThan(0);
    expect(before.json.firstActivityAt).toEqual(expect.any(Number));
    expect(reset.status).toBe(200);
    expect(after.json).toMatchObject({
      requests: 0,
      items: 0,
      passes: { count: 0 },
      busySlotMs: 0,
      firstActivityAt: null,
      utilisation: null,
    });
  });

  it('takes tokensPerSecond and midStreamErrorRate at run time, and reports cancellations in /_sim/stats', async () => {
    // Act
    const update = await call('POST', '/_sim/config', { tokensPerSecond: 30, openai: { midStreamErrorRate: 0.5 } });
    const stats = await call('GET', '/_sim/stats');
    await call('POST', '/_sim/config', { tokensPerSecond: 0, openai: { midStreamErrorRate: 0 } });

    // Assess
    expect(update.status).toBe(200);
    expect(update.json).toMatchObject({ tokensPerSecond: 30, openai: { midStreamErrorRate: 0.5 }, bedrock: { midStreamErrorRate: 0 } });
    expect(stats.json.faces.openai).toMatchObject({ streamed: 0, cancelled: 0, cancelledTokens: 0, midStreamErrors: 0 });
  });
});
