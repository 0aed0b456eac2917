import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand, type ConverseCommandInput } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startSimulator, type RunningSimulator } from '../../../../shared/devTools/gpuSimulator/server';
import { DEFAULT_SIMULATOR_CONFIG } from '../../../../shared/devTools/gpuSimulator/SimulatorConfig';

const CHAT_MODEL = 'openai.gpt-oss-20b-1:0';
const TITAN = 'amazon.titan-embed-text-v2:0';

/** The simulator's Bedrock face, driven by the real AWS SDK client. */
describe('GPU simulator, Bedrock face', () => {
  let sim: RunningSimulator;
  let client: BedrockRuntimeClient;

  const converse = (text: string, extra: Partial<ConverseCommandInput> = {}) =>
    client.send(new ConverseCommand({ modelId: CHAT_MODEL, messages: [{ role: 'user', content: [{ text }] }], ...extra }));

  const embed = (body: Record<string, unknown>, modelId = TITAN) =>
    client
      .send(new InvokeModelCommand({ modelId, contentType: 'application/json', accept: 'application/json', body: JSON.stringify(body) }))
      .then((response) => JSON.parse(new TextDecoder().decode(response.body)) as { embedding: number[]; inputTextTokenCount: number });

  /** The error a call failed with, or a failure if it did not fail. */
  async function failure(call: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
    try {
      await call;
    } catch (error) {
      return error as Error & { $metadata: { httpStatusCode?: number } };
    }
    throw new Error('expected the call to fail');
  }

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, passMs: 5, itemMs: 0 });
    client = new BedrockRuntimeClient({
      endpoint: sim.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: new NodeHttpHandler(),
      // One attempt: the test counts what the server answered, not the SDK's retries.
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await sim.close();
  });
  beforeEach(() => {
    sim.updateConfig({ strictModels: false, openai: DEFAULT_SIMULATOR_CONFIG.openai, bedrock: DEFAULT_SIMULATOR_CONFIG.bedrock });
    sim.reset();
  });

  it('answers Converse with the Bedrock output, stop reason and usage, deterministically', async () => {
    // Act
    const response = await converse('Hello Bedrock', { system: [{ text: 'Be brief.' }], inferenceConfig: { maxTokens: 200 } });
    const again = await converse('Hello Bedrock', { system: [{ text: 'Be brief.' }], inferenceConfig: { maxTokens: 200 } });

    // Assess
    const text = response.output?.message?.content?.[0]?.text;
    expect(response.output?.message?.role).toBe('assistant');
    expect(text).toMatch(/^sim reply [0-9a-f]{8}: /);
    expect(again.output?.message?.content?.[0]?.text).toBe(text);
    expect(response.stopReason).toBe('end_turn');
    const usage = response.usage;
    expect(usage?.inputTokens).toBe(Math.ceil('Be brief.'.length / 4) + 4 + Math.ceil('Hello Bedrock'.length / 4) + 4);
    expect(usage?.totalTokens).toBe((usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0));
    expect(response.metrics?.latencyMs).toEqual(expect.any(Number));
    expect(sim.stats().faces.bedrock.byRoute.converse).toEqual({ requests: 2, items: 2 });
  });

  it('answers JSON following the schema of outputConfig.textFormat (Bedrock structured output)', async () => {
    // Prepare
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city', 'days'],
      additionalProperties: false,
    };
    // Act
    const output = await converse('Plan a trip.', {
      outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name: 'trip' } } } },
    });
    // Assess
    const text = output.output?.message?.content?.find((block) => 'text' in block && block.text !== undefined)?.text ?? '';
    const value = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['city', 'days']);
    expect(typeof value.city).toBe('string');
    expect(Number.isInteger(value.days)).toBe(true);
  });

  it('reports max_tokens when maxTokens cuts the reply', async () => {
    // Act
    const response = await converse('cut', { inferenceConfig: { maxTokens: 2 } });

    // Assess
    expect(response.stopReason).toBe('max_tokens');
    expect(response.usage?.outputTokens).toBe(2);
  });

  it('answers InvokeModel for Titan embeddings v2 with a unit vector of the asked size', async () => {
    // Act
    const full = await embed({ inputText: 'embed me' });
    const again = await embed({ inputText: 'embed me' });
    const small = await embed({ inputText: 'embed me', dimensions: 256 });
    const medium = await embed({ inputText: 'embed me', dimensions: 512 });

    // Assess
    expect(full.embedding).toHaveLength(1024);
    expect(full.inputTextTokenCount).toBe(2);
    expect(again.embedding).toEqual(full.embedding);
    expect(small.embedding).toHaveLength(256);
    expect(medium.embedding).toHaveLength(512);
    expect(Math.hypot(...full.embedding)).toBeCloseTo(1, 5);
    expect(sim.stats().faces.bedrock.byRoute.invoke).toEqual({ requests: 4, items: 4 });
  });

  it('takes the OpenAI chat body through InvokeModel for gpt-oss', async () => {
    // Act
    const response = await client.send(
      new InvokeModelCommand({
        modelId: CHAT_MODEL,
        contentType: 'application/json',
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 3 }),
      }),
    );
    const json = JSON.parse(new TextDecoder().decode(response.body));

    // Assess
    expect(json).toMatchObject({
      object: 'chat.completion',
      model: CHAT_MODEL,
      choices: [{ finish_reason: 'length' }],
      usage: { completion_tokens: 3 },
    });
  });

  it('throws ValidationException for the poison marker and for a bad Titan dimension', async () => {
    // Act
    const poisoned = await failure(converse('please __POISON__ me'));
    const badDimensions = await failure(embed({ inputText: 'x', dimensions: 300 }));

    // Assess
    expect(poisoned.name).toBe('ValidationException');
    expect(poisoned.message).toContain('__POISON__');
    expect(poisoned.$metadata.httpStatusCode).toBe(400);
    expect(badDimensions.name).toBe('ValidationException');
    expect(badDimensions.message).toContain('dimensions');
    expect(sim.stats().faces.bedrock).toMatchObject({ poisoned: 1, items: 0, statuses: { '400': 2 } });
  });

  it('throws ThrottlingException at throttleRate 1 and InternalServerException at errorRate 1', async () => {
    // Act
    sim.updateConfig({ bedrock: { throttleRate: 1 } });
    const throttled = await failure(converse('x'));
    sim.updateConfig({ bedrock: { throttleRate: 0, errorRate: 1 } });
    const failed = await failure(embed({ inputText: 'x' }));

    // Assess
    expect(throttled.name).toBe('ThrottlingException');
    expect(throttled.$metadata.httpStatusCode).toBe(429);
    expect(failed.name).toBe('InternalServerException');
    expect(failed.$metadata.httpStatusCode).toBe(500);
    expect(sim.stats().faces.bedrock).toMatchObject({ injectedThrottles: 1, injectedErrors: 1 });
    expect(sim.stats().faces.openai.requests).toBe(0);
  });

  it('throws ThrottlingException once the tokens-per-minute window is spent', async () => {
    // Prepare: each call costs ceil(8/4) + 4 input + 4 output = 10 tokens.
    sim.updateConfig({ bedrock: { tokensPerMinute: 30 } });

    // Act
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      outcomes.push(
        await converse('12345678', { inferenceConfig: { maxTokens: 4 } }).then(
          () => 'ok',
          (error: Error) => error.name,
        ),
      );
    }

    // Assess
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ThrottlingException', 'ThrottlingException']);
    expect(sim.stats().faces.bedrock.tokenThrottles).toBe(2);
  });

  it('throws ResourceNotFoundException for an unknown model when strict', async () => {
    // Prepare
    sim.updateConfig({ strictModels: true });

    // Act
    const missing = await failure(
      client.send(new ConverseCommand({ modelId: 'acme.unknown-v1:0', messages: [{ role: 'user', content: [{ text: 'x' }] }] })),
    );

    // Assess
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.$metadata.httpStatusCode).toBe(404);
  });

  it('throws ServiceUnavailableException when the queue is over maxQueueItems', async () => {
    // Prepare: a batch of one sequence, 50 ms a token, so the others wait.
    sim.updateConfig({ maxNumSeqs: 1, tokensPerSecond: 20, maxQueueItems: 1 });

    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        converse(`queue ${i}`).then(
          () => 'ok',
          (error: Error) => error.name,
        ),
      ),
    );
    sim.updateConfig({ maxNumSeqs: 256, tokensPerSecond: 0, maxQueueItems: 0 });

    // Assess
    expect(outcomes).toContain('ok');
    expect(outcomes).toContain('ServiceUnavailableException');
    expect(sim.stats().faces.bedrock.overloaded).toBe(outcomes.filter((outcome) => outcome !== 'ok').length);
  });
});
