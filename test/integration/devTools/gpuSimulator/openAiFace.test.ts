import { startSimulator, type RunningSimulator } from '../../../../shared/devTools/gpuSimulator/server';
import { DEFAULT_SIMULATOR_CONFIG } from '../../../../shared/devTools/gpuSimulator/SimulatorConfig';

/** The simulator's OpenAI face through plain fetch, as vLLM clients would call it. */
describe('GPU simulator, OpenAI face', () => {
  let sim: RunningSimulator;

  async function post(path: string, body: unknown): Promise<{ status: number; headers: Headers; json: any }> {
    const response = await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, json: await response.json() };
  }

  const chat = (content: string, extra: Record<string, unknown> = {}) =>
    post('/v1/chat/completions', { model: 'gpt-oss-20b', messages: [{ role: 'user', content }], ...extra });

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, passMs: 5, itemMs: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.updateConfig({
      passMs: 5,
      itemMs: 0,
      slots: 4,
      maxItemsPerPass: 64,
      openai: DEFAULT_SIMULATOR_CONFIG.openai,
      bedrock: DEFAULT_SIMULATOR_CONFIG.bedrock,
    });
    sim.reset();
  });

  it('listens on 127.0.0.1 on the port the OS picked', () => {
    // Assess
    expect(sim.port).toBeGreaterThan(0);
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
  });

  it('answers a chat completion in the OpenAI shape, the same way every time', async () => {
    // Act
    const first = await chat('Hello there', { max_tokens: 100 });
    const again = await chat('Hello there', { max_tokens: 100 });

    // Assess
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-oss-20b',
      choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' }],
    });
    expect(first.json.id).toEqual(expect.any(String));
    expect(first.json.created).toEqual(expect.any(Number));
    expect(first.json.choices[0].message.content).toMatch(/^sim reply [0-9a-f]{8}: /);
    expect(again.json.choices[0].message.content).toBe(first.json.choices[0].message.content);
    const usage = first.json.usage;
    expect(usage.prompt_tokens).toBe(Math.ceil('Hello there'.length / 4) + 4);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
  });

  it('caps completion tokens at max_tokens with finish_reason length', async () => {
    // Act
    const { json } = await chat('cap me', { max_tokens: 2 });

    // Assess
    expect(json.usage.completion_tokens).toBe(2);
    expect(json.choices[0].finish_reason).toBe('length');
  });

  it.each([
    ['n above 1', { model: 'm', messages: [{ role: 'user', content: 'x' }], n: 2 }, 'n'],
    ['tool_choice without tools', { model: 'm', messages: [{ role: 'user', content: 'x' }], tool_choice: 'required' }, 'tool_choice'],
    ['no messages', { model: 'm' }, 'messages'],
    ['bad JSON', '{not json', null],
  ])('answers 400 invalid_request_error for %s', async (_name, body, param) => {
    // Act
    const { status, json } = await post('/v1/chat/completions', body);

    // Assess
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ type: 'invalid_request_error', param });
    expect(json.error.message).toEqual(expect.any(String));
  });

  it('answers legacy completions with one choice per prompt, each prompt an item', async () => {
    // Act
    const { status, json } = await post('/v1/completions', { model: 'gpt-oss-20b', prompt: ['one', 'two', 'three'], max_tokens: 4 });

    // Assess
    expect(status).toBe(200);
    expect(json.object).toBe('text_completion');
    expect(json.choices.map((choice: { index: number }) => choice.index)).toEqual([0, 1, 2]);
    expect(json.usage.completion_tokens).toBe(12);
    expect(sim.stats().faces.openai.byRoute.completions).toEqual({ requests: 1, items: 3 });
  });

  it('answers embeddings in input order, float and base64 alike', async () => {
    // Prepare
    const input = ['alpha', 'beta', 'alpha'];

    // Act
    const floats = await post('/v1/embeddings', { model: 'bge-m3', input });
    const packed = await post('/v1/embeddings', { model: 'bge-m3', input, encoding_format: 'base64' });
    const small = await post('/v1/embeddings', { model: 'bge-m3', input: 'alpha', dimensions: 8 });

    // Assess
    expect(floats.json).toMatchObject({ object: 'list', model: 'bge-m3', usage: { prompt_tokens: 5, total_tokens: 5 } }); // 2 + 1 + 2
    const data = floats.json.data as Array<{ object: string; index: number; embedding: number[] }>;
    expect(data.map((item) => [item.object, item.index])).toEqual([
      ['embedding', 0],
      ['embedding', 1],
      ['embedding', 2],
    ]);
    expect(data[0]?.embedding).toHaveLength(1024);
    expect(data[2]?.embedding).toEqual(data[0]?.embedding);
    expect(data[1]?.embedding).not.toEqual(data[0]?.embedding);
    const decoded = (packed.json.data as Array<{ embedding: string }>).map((item) => {
      const bytes = Buffer.from(item.embedding, 'base64');
      return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    });
    expect(decoded).toEqual(data.map((item) => item.embedding));
    expect(small.json.data[0].embedding).toHaveLength(8);
  });

  it('lists the configured models', async () => {
    // Prepare
    sim.updateConfig({ models: ['gpt-oss-20b', 'gpt-oss-120b', 'bge-m3'] });

    // Act
    const response = await fetch(`${sim.url}/v1/models`);
    const json = (await response.json()) as any;

    // Assess
    expect(json.object).toBe('list');
    expect(json.data.map((model: { id: string }) => model.id)).toEqual(['gpt-oss-20b', 'gpt-oss-120b', 'bge-m3']);
    expect(json.data[0]).toEqual({ id: 'gpt-oss-20b', object: 'model', created: expect.any(Number), owned_by: expect.any(String) });
  });

  it('rejects an input carrying the poison marker with 400, and only that request', async () => {
    // Act
    const poisoned = await post('/v1/embeddings', { model: 'bge-m3', input: ['fine', 'bad __POISON__ line'] });
    const healthy = await post('/v1/embeddings', { model: 'bge-m3', input: ['fine'] });

    // Assess
    expect(poisoned.status).toBe(400);
    expect(poisoned.json.error.type).toBe('invalid_request_error');
    expect(healthy.status).toBe(200);
    expect(sim.stats().faces.openai).toMatchObject({ poisoned: 1, items: 1 });
  });

  it('injects 500s at errorRate 1 and 429s with Retry-After at throttleRate 1, without queueing', async () => {
    // Act
    sim.updateConfig({ openai: { errorRate: 1 } });
    const failed = await chat('x');
    sim.updateConfig({ openai: { errorRate: 0, throttleRate: 1, retryAfterSeconds: 3 } });
    const throttled = await chat('x');

    // Assess
    expect(failed.status).toBe(500);
    expect(failed.json.error.type).toBe('server_error');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    const stats = sim.stats();
    expect(stats.faces.openai).toMatchObject({ injectedErrors: 1, injectedThrottles: 1, items: 0, statuses: { '500': 1, '429': 1 } });
    expect(stats.passes.count).toBe(0);
  });

  it('throttles once the tokens-per-minute window is spent', async () => {
    // Prepare: each call costs (ceil(8/4) + 4) prompt + 4 completion = 10 tokens.
    sim.updateConfig({ openai: { tokensPerMinute: 25 } });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await chat('12345678', { max_tokens: 4 })).status);

    // Assess
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(sim.stats().faces.openai.tokenThrottles).toBe(2);
  });

  it('batches one 10-input request into one pass and a 65-input request into two', async () => {
    // Prepare
    sim.updateConfig({ slots: 1, passMs: 20 });

    // Act
    await post('/v1/embeddings', { model: 'bge-m3', input: Array.from({ length: 10 }, (_, i) => `t${i}`) });
    const afterTen = sim.stats().passes;
    await post('/v1/embeddings', { model: 'bge-m3', input: Array.from({ length: 65 }, (_, i) => `t${i}`) });
    const afterAll = sim.stats().passes;

    // Assess
    expect(afterTen).toMatchObject({ count: 1, items: 10, histogram: { '10': 1 } });
    expect(afterAll).toMatchObject({ count: 3, items: 75, maxItems: 64, histogram: { '10': 1, '64': 1, '1': 1 } });
  });

  it('runs concurrent chat requests in one batch of engine steps (continuous batching)', async () => {
    // Prepare: steps of 30 ms, so ten requests arriving together find the engine between steps.
    sim.updateConfig({ stepMs: 30 });

    // Act
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => chat(`concurrent ${i}`)));
    sim.updateConfig({ stepMs: DEFAULT_SIMULATOR_CONFIG.stepMs });

    // Assess: the ten decode side by side, so the steps are about one answer's worth, not ten.
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    const stats = sim.stats();
    const longest = Math.max(...replies.map((reply) => reply.json.usage.completion_tokens as number));
    expect(stats.generation).toMatchObject({ sequences: 10, peakRunning: 10, running: 0, waiting: 0 });
    expect(stats.generation.steps).toBeLessThanOrEqual(longest + 2);
    const shape = { promptTokens: stats.generation.meanPromptTokens, completionTokens: stats.generation.meanCompletionTokens };
    expect(stats.generation.maxSequencesPerSecond).toBeCloseTo(sim.maxSequencesPerSecond(shape), 6);
    expect(stats.passes.count).toBe(0);
    expect(stats.faces.openai.byRoute['chat.completions']).toEqual({ requests: 10, items: 10 });
  });

  it('refuses unknown models with 404 model_not_found when strict', async () => {
    // Prepare
    sim.updateConfig({ strictModels: true });

    // Act
    const unknown = await post('/v1/chat/completions', { model: 'nope', messages: [{ role: 'user', content: 'x' }] });
    sim.updateConfig({ strictModels: false });
    const lenient = await post('/v1/chat/completions', { model: 'nope', messages: [{ role: 'user', content: 'x' }] });

    // Assess
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect(lenient.status).toBe(200);
  });
});
