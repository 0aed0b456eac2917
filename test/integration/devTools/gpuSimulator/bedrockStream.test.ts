import {
  type BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamCommandInput,
  type ConverseStreamOutput,
  type Tool,
} from '@aws-sdk/client-bedrock-runtime';
import { createBedrockClient } from '../../../../shared/providers/bedrock/createBedrockClient';
import { startSimulator, type RunningSimulator } from '../../../../shared/devTools/gpuSimulator/server';
import { DEFAULT_SIMULATOR_CONFIG } from '../../../../shared/devTools/gpuSimulator/SimulatorConfig';

const CHAT_MODEL = 'openai.gpt-oss-20b-1:0';

const WEATHER: Tool = {
  toolSpec: {
    name: 'get_weather',
    description: 'Weather for a city',
    inputSchema: {
      json: {
        type: 'object',
        properties: {
          city: { type: 'string' },
          days: { type: 'integer', minimum: 1, maximum: 7 },
          unit: { type: 'string', enum: ['c', 'f'] },
        },
        required: ['city', 'days', 'unit'],
      },
    },
  },
};

/** Bedrock Converse with tools and reasoning, and ConverseStream, through the real AWS SDK client. */
describe('GPU simulator, Bedrock ConverseStream and tools', () => {
  let sim: RunningSimulator;
  let client: BedrockRuntimeClient;

  const input = (text: string, extra: Partial<ConverseStreamCommandInput> = {}): ConverseStreamCommandInput => ({
    modelId: CHAT_MODEL,
    messages: [{ role: 'user', content: [{ text }] }],
    ...extra,
  });

  /** Every event of a ConverseStream call, in order, as `{type: payload}` objects. */
  async function streamEvents(request: ConverseStreamCommandInput): Promise<ConverseStreamOutput[]> {
    const response = await client.send(new ConverseStreamCommand(request));
    const events: ConverseStreamOutput[] = [];
    for await (const event of response.stream ?? []) events.push(event);
    return events;
  }

  const typeOf = (event: ConverseStreamOutput): string =>
    Object.keys(event).find((key) => (event as unknown as Record<string, unknown>)[key] !== undefined) ?? '';

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, passMs: 5, itemMs: 0 });
    // The platform's own client (HTTP/1.1, one attempt), as the Bedrock provider builds it.
    client = createBedrockClient({ endpoint: sim.url, region: 'eu-west-1' });
  });
  afterAll(async () => {
    client.destroy();
    await sim.close();
  });
  beforeEach(() => {
    sim.updateConfig({ passMs: 5, tokensPerSecond: 0, bedrock: DEFAULT_SIMULATOR_CONFIG.bedrock });
    sim.reset();
  });

  it('streams a text answer as messageStart, text deltas, contentBlockStop, messageStop, metadata', async () => {
    // Prepare
    const request = input('Hello stream', { inferenceConfig: { maxTokens: 200 } });

    // Act
    const events = await streamEvents(request);
    const whole = await client.send(new ConverseCommand(request));

    // Assess
    const types = events.map(typeOf);
    expect(types[0]).toBe('messageStart');
    expect(events[0]?.messageStart?.role).toBe('assistant');
    expect(types.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    const deltas = events.filter((event) => event.contentBlockDelta).map((event) => event.contentBlockDelta);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.every((delta) => delta?.contentBlockIndex === 0)).toBe(true);
    const text = deltas.map((delta) => delta?.delta?.text ?? '').join('');
    expect(text).toBe(whole.output?.message?.content?.[0]?.text);
    expect(text).toMatch(/^sim reply [0-9a-f]{8}: /);
    expect(events.at(-2)?.messageStop?.stopReason).toBe('end_turn');
    const metadata = events.at(-1)?.metadata;
    expect(metadata?.usage).toEqual(whole.usage);
    expect(metadata?.usage?.outputTokens).toBe(deltas.length);
    expect(metadata?.metrics?.latencyMs).toEqual(expect.any(Number));
    expect(sim.stats().faces.bedrock).toMatchObject({ streamed: 1, byRoute: { 'converse-stream': { requests: 1, items: 1 } } });
  });

  it('streams a tool call as contentBlockStart with toolUse, input pieces, and stopReason tool_use', async () => {
    // Act
    const events = await streamEvents(
      input('What is the weather in Paris?', { toolConfig: { tools: [WEATHER], toolChoice: { any: {} } } }),
    );

    // Assess
    const start = events.find((event) => event.contentBlockStart)?.contentBlockStart;
    expect(start?.start?.toolUse).toEqual({ toolUseId: expect.stringMatching(/^tooluse_[0-9a-f]{22}$/), name: 'get_weather' });
    const pieces = events
      .filter((event) => event.contentBlockDelta?.delta?.toolUse)
      .map((event) => event.contentBlockDelta?.delta?.toolUse?.input ?? '');
    expect(pieces.length).toBeGreaterThan(1);
    const args = JSON.parse(pieces.join(''));
    expect(args).toEqual({ city: expect.any(String), days: expect.any(Number), unit: 'c' });
    expect(Number.isInteger(args.days) && args.days >= 1 && args.days <= 7).toBe(true);
    expect(events.some((event) => event.contentBlockStop?.contentBlockIndex === start?.contentBlockIndex)).toBe(true);
    expect(events.find((event) => event.messageStop)?.messageStop?.stopReason).toBe('tool_use');
  });

  it('streams reasoning as reasoningContent deltas in their own block before the text', async () => {
    // Act
    const events = await streamEvents(
      input('think first', { additionalModelRequestFields: { reasoning_effort: 'low' }, inferenceConfig: { maxTokens: 100 } }),
    );

    // Assess
    const deltas = events.filter((event) => event.contentBlockDelta).map((event) => event.contentBlockDelta);
    const reasoning = deltas.filter((delta) => delta?.delta?.reasoningContent);
    const text = deltas.filter((delta) => delta?.delta?.text !== undefined);
    expect(reasoning.length).toBe(8);
    expect(reasoning.every((delta) => delta?.contentBlockIndex === 0)).toBe(true);
    expect(text.every((delta) => delta?.contentBlockIndex === 1)).toBe(true);
    expect(events.filter((event) => event.contentBlockStop).map((event) => event.contentBlockStop?.contentBlockIndex)).toEqual([0, 1]);
  });

  it('answers Converse with toolUse blocks, then with text once the last user message holds the toolResult', async () => {
    // Prepare
    const toolConfig = { tools: [WEATHER], toolChoice: { auto: {} } };
    const inferenceConfig = { maxTokens: 200 };
    const question = { role: 'user' as const, content: [{ text: 'Use get_weather for Oslo' }] };

    // Act
    const first = await client.send(new ConverseCommand({ modelId: CHAT_MODEL, messages: [question], toolConfig }));
    const toolUse = first.output?.message?.content?.find((block) => block.toolUse)?.toolUse;
    const second = await client.send(
      new ConverseCommand({
        modelId: CHAT_MODEL,
        toolConfig,
        inferenceConfig,
        messages: [
          question,
          { role: 'assistant', content: [{ toolUse }] },
          { role: 'user', content: [{ toolResult: { toolUseId: toolUse?.toolUseId, content: [{ json: { temperature: 3 } }] } }] },
        ],
      } as never),
    );
    const plain = await client.send(
      new ConverseCommand({
        modelId: CHAT_MODEL,
        messages: [{ role: 'user', content: [{ text: 'no trigger here' }] }],
        toolConfig,
        inferenceConfig,
      }),
    );

    // Assess
    expect(first.stopReason).toBe('tool_use');
    expect(toolUse).toEqual({
      toolUseId: expect.stringMatching(/^tooluse_/),
      name: 'get_weather',
      input: { city: expect.any(String), days: expect.any(Number), unit: 'c' },
    });
    expect(second.stopReason).toBe('end_turn');
    expect(second.output?.message?.content?.[0]?.text).toMatch(/^sim reply /);
    expect(plain.stopReason).toBe('end_turn');
  });

  it('puts a reasoningContent block before the text for gpt-oss with reasoning_effort, and counts it in outputTokens', async () => {
    // Act
    const low = await client.send(
      new ConverseCommand({
        ...input('why?'),
        additionalModelRequestFields: { reasoning_effort: 'low' },
        inferenceConfig: { maxTokens: 200 },
      }),
    );
    const high = await client.send(
      new ConverseCommand({
        ...input('why?'),
        additionalModelRequestFields: { reasoning_effort: 'high' },
        inferenceConfig: { maxTokens: 200 },
      }),
    );
    const none = await client.send(new ConverseCommand({ ...input('why?'), inferenceConfig: { maxTokens: 200 } }));

    // Assess
    const blocks = low.output?.message?.content ?? [];
    expect(blocks[0]?.reasoningContent?.reasoningText?.text).toEqual(expect.any(String));
    expect(blocks[1]?.text).toMatch(/^sim reply /);
    const lowReasoning = blocks[0]?.reasoningContent?.reasoningText?.text ?? '';
    const highReasoning = high.output?.message?.content?.[0]?.reasoningContent?.reasoningText?.text ?? '';
    expect(highReasoning.length).toBeGreaterThan(lowReasoning.length);
    expect(
      none.output?.message?.content?.map((block) =>
        Object.keys(block).filter((key) => (block as unknown as Record<string, unknown>)[key] !== undefined),
      ),
    ).toEqual([['text']]);
    expect(low.usage?.outputTokens).toBe((none.usage?.outputTokens ?? 0) + 8);
  });

  it('answers a throttle before the first byte as a plain ThrottlingException', async () => {
    // Prepare
    sim.updateConfig({ bedrock: { throttleRate: 1 } });

    // Act
    const error = await streamEvents(input('x')).then(
      () => null,
      (failure: Error) => failure,
    );

    // Assess
    expect(error?.name).toBe('ThrottlingException');
    expect(sim.stats().faces.bedrock).toMatchObject({ injectedThrottles: 1, statuses: { '429': 1 } });
  });

  it('breaks a stream after its first token with a modelStreamErrorException message at midStreamErrorRate 1', async () => {
    // Prepare
    sim.updateConfig({ bedrock: { midStreamErrorRate: 1 } });
    const response = await client.send(new ConverseStreamCommand(input('break me')));
    const events: ConverseStreamOutput[] = [];

    // Act
    const error = await (async () => {
      for await (const event of response.stream ?? []) events.push(event);
    })().then(
      () => null,
      (failure: Error) => failure,
    );

    // Assess
    expect(error?.name).toBe('ModelStreamErrorException');
    expect(events.map(typeOf)).toEqual(['messageStart', 'contentBlockDelta']);
    expect(sim.stats().faces.bedrock).toMatchObject({ midStreamErrors: 1, completionTokens: 1, statuses: { '200': 1 } });
  });

  it.each([
    ['throttled', 'ThrottlingException'],
    ['internal', 'InternalServerException'],
  ] as const)('breaks a stream with the exception midStreamErrorKind %s names', async (kind, name) => {
    // Prepare
    sim.updateConfig({ bedrock: { midStreamErrorRate: 1, midStreamErrorKind: kind } });
    const response = await client.send(new ConverseStreamCommand(input('break me')));

    // Act
    const error = await (async () => {
      for await (const _event of response.stream ?? []) {
        // read until the exception
      }
    })().then(
      () => null,
      (failure: Error) => failure,
    );

    // Assess
    expect(error?.name).toBe(name);
  });

  it('paces tokens at tokensPerSecond, and stops generating when the client aborts the stream', async () => {
    // Prepare: an answer of at least 8 tokens takes at least 350 ms at 20 tokens/s.
    sim.updateConfig({ tokensPerSecond: 20 });
    const controller = new AbortController();
    const startedAt = Date.now();
    const response = await client.send(new ConverseStreamCommand(input('slow and long', { inferenceConfig: { maxTokens: 100 } })), {
      abortSignal: controller.signal,
    });
    let deltas = 0;
    let secondDeltaMs = 0;
    let fourthDeltaMs = 0;

    // Act
    await (async () => {
      for await (const event of response.stream ?? []) {
        if (!event.contentBlockDelta) continue;
        deltas += 1;
        // Tokens are generated from the first step on, whether the client listens yet or not:
        // the pace shows from the second token, once the stream is being read.
        if (deltas === 2) secondDeltaMs = Date.now() - startedAt;
        if (deltas === 4) {
          fourthDeltaMs = Date.now() - startedAt;
          controller.abort();
        }
      }
    })().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess
    const stats = sim.stats().faces.bedrock;
    expect(fourthDeltaMs - secondDeltaMs).toBeGreaterThanOrEqual(90); // two more tokens at 50 ms each
    expect(stats.cancelled).toBe(1);
    expect(stats.completionTokens).toBeGreaterThanOrEqual(4);
    expect(stats.completionTokens).toBeLessThan(8);
    expect(stats.completionTokens + stats.cancelledTokens).toBeGreaterThanOrEqual(8);
    const settled = sim.stats().faces.bedrock.completionTokens;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sim.stats().faces.bedrock.completionTokens).toBe(settled);
  });
});
