import OpenAI from 'openai';
import { startLocalPlatformProcess, type LocalPlatformProcess } from '../helpers/localPlatform';
import { type SimulatorCounters, configureSimulator, simulatorStats } from '../helpers/clients/simulator';

/**
 * The real-time path end to end: `npm start`'s platform in its own process, driven by the
 * official `openai` client exactly as an app would use it.
 */
describe('real-time inference through the local platform', () => {
  let platform: LocalPlatformProcess;
  let client: OpenAI;

  beforeAll(async () => {
    platform = await startLocalPlatformProcess({ CIRCUIT_COOLDOWN_MS: '1000', CIRCUIT_FAILURE_THRESHOLD: '2' });
    client = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: platform.apiKey, maxRetries: 0 });
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  // GPU calls only: a pool also lists its servers' models (GET /v1/models) now and then.
  const gpuCalls = (stats: SimulatorCounters, route: string) => stats.faces.openai.byRoute[route]?.requests ?? 0;

  it('answers a chat completion from gpt-oss-20b', async () => {
    // Act
    const completion = await client.chat.completions.create({
      model: 'gpt-oss-20b',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say hello.' },
      ],
      max_tokens: 64,
      temperature: 0,
    });
    // Assess
    expect(completion.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-oss-20b');
    expect(Math.abs(completion.created - Date.now() / 1000)).toBeLessThan(60);
    expect(completion.choices).toHaveLength(1);
    const [choice] = completion.choices;
    expect(choice!.index).toBe(0);
    expect(choice!.message.role).toBe('assistant');
    expect(typeof choice!.message.content).toBe('string');
    expect(choice!.message.content!.length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(choice!.finish_reason);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
  });

  it('embeds three inputs with bge-m3, in order, in one backend call', async () => {
    // Prepare
    const inputs = ['the first input', 'a second, longer input to embed', 'third'];
    const before = await simulatorStats(platform);
    // Act
    const response = await client.embeddings.create({ model: 'bge-m3', input: inputs });
    // Assess
    const after = await simulatorStats(platform);
    expect(gpuCalls(after, 'embeddings') - gpuCalls(before, 'embeddings')).toBe(1);
    expect(response.object).toBe('list');
    expect(response.model).toBe('bge-m3');
    expect(response.data.map((d) => d.index)).toEqual([0, 1, 2]);
    // The same inputs asked of the simulator one by one give the same vectors, in the same order.
    for (const [i, input] of inputs.entries()) {
      const direct = (await (
        await fetch(`${platform.simulator}/v1/embeddings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'bge-m3', input }),
        })
      ).json()) as { data: { embedding: number[] }[] };
      const expected = direct.data[0]!.embedding;
      expect(response.data[i]!.embedding).toHaveLength(expected.length);
      for (const [j, value] of response.data[i]!.embedding.slice(0, 16).entries()) expect(value).toBeCloseTo(expected[j]!, 6);
    }
    expect(response.usage.prompt_tokens).toBeGreaterThan(0);
    expect(response.usage.total_tokens).toBe(response.usage.prompt_tokens);
  });

  it('lists the local catalogue', async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-oss-20b', 'gpt-oss-120b', 'titan-embed-text-v2', 'bge-m3']));
    expect(page.data.every((m) => m.object === 'model' && typeof m.owned_by === 'string' && Number.isInteger(m.created))).toBe(true);
    expect((await client.models.retrieve('bge-m3')).id).toBe('bge-m3');
  });

  it('refuses a bad key with 401 in the OpenAI error shape', async () => {
    const bad = new OpenAI({ baseURL: `${platform.api}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    const error = await bad.models.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const apiError = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(apiError.status).toBe(401);
    expect(apiError.code).toBe('invalid_api_key');
    expect(apiError.type).toBe('authentication_error');
    expect(apiError.param).toBeNull();
  });

  it('answers an unknown model with 404 model_not_found', async () => {
    const error = await client.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const apiError = error as InstanceType<typeof OpenAI.NotFoundError>;
    expect(apiError.status).toBe(404);
    expect(apiError.code).toBe('model_not_found');
    expect(apiError.param).toBe('model');
    expect(apiError.message).toContain("'gpt-9'");
  });

  it('answers a malformed body with 400 naming the problem', async () => {
    // Not JSON at all.
    const notJson = await fetch(`${platform.api}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.apiKey}`, 'content-type': 'application/json' },
      body: '{"model": "gpt-oss-20b",',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({
      error: {
        message: expect.stringContaining('could not parse the JSON body'),
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_json',
      },
    });
    // JSON with a wrong type, through the client.
    const error = await client.chat.completions
      .create({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }], temperature: 'hot' as unknown as number })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
    // A streamed request's mistake is an ordinary 400 before any byte of the stream.
    const stream = await client.chat.completions
      .create({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 10_000_000 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((stream as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
    expect((stream as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('max_tokens');
  });

  it('falls back to Bedrock while the GPU face fails, and comes back once it recovers', async () => {
    const ask = () =>
      client.chat.completions.create({ model: 'gpt-oss-20b', messages: [{ role: 'user', content: 'fallback?' }], max_tokens: 16 });
    try {
      // Prepare: the OpenAI face (the GPU pool) now fails every request.
      await configureSimulator(platform, { openai: { errorRate: 1 } });
      const before = await simulatorStats(platform);
      // Act
      const duringOutage = await Promise.all([ask(), ask(), ask(), ask()]);
      const during = await simulatorStats(platform);
      // Assess: every request answered, by the Bedrock face.
      expect(duringOutage.every((c) => c.choices[0]!.message.content!.length > 0)).toBe(true);
      expect(during.faces.bedrock.requests - before.faces.bedrock.requests).toBe(4);

      // Act: the GPU face recovers; after the circuit's cooldown a probe finds it again.
      await configureSimulator(platform, { openai: { errorRate: 0 } });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await ask();
      const beforeRecovered = await simulatorStats(platform);
      await ask();
      await ask();
      const afterRecovered = await simulatorStats(platform);
      // Assess: back on the GPU face, Bedrock untouched.
      expect(gpuCalls(afterRecovered, 'chat.completions') - gpuCalls(beforeRecovered, 'chat.completions')).toBe(2);
      expect(afterRecovered.faces.bedrock.requests - beforeRecovered.faces.bedrock.requests).toBe(0);
    } finally {
      await configureSimulator(platform, { openai: { errorRate: 0 } });
    }
  });
});
