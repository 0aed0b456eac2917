import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  ModelStreamErrorException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import type { ConverseStreamOutput, InvokeModelCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { BackendRejectedError, BackendThrottledError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { InvalidRequestError } from '../../../shared/errors/requestErrors';
import { BedrockProvider } from '../../../shared/providers/bedrock/BedrockProvider';
import type { ChatCall, ChatDelta } from '../../../shared/domain/inference';

const bedrock = mockClient(BedrockRuntimeClient);
const MODEL = 'openai.gpt-oss-120b-1:0';
const call: ChatCall = { model: MODEL, messages: [{ role: 'user', content: 'Hi' }] };

function provider(timeoutMs?: number): BedrockProvider {
  return new BedrockProvider({ client: new BedrockRuntimeClient({ region: 'us-east-1' }), backendId: 'bedrock-gpt-oss', timeoutMs });
}

async function* eventsOf(events: ConverseStreamOutput[], failWith?: unknown): AsyncGenerator<ConverseStreamOutput> {
  for (const event of events) yield event;
  if (failWith !== undefined) throw failWith;
}

async function collect(stream: AsyncIterable<ChatDelta>): Promise<ChatDelta[]> {
  const deltas: ChatDelta[] = [];
  for await (const delta of stream) deltas.push(delta);
  return deltas;
}

/** Replaces client.send: `events` builds the stream from the abort signal the provider passed. */
function sendStream(events: (signal: AbortSignal) => AsyncIterable<ConverseStreamOutput>): AbortSignal[] {
  const seen: AbortSignal[] = [];
  (bedrock.send as unknown as { callsFake(fn: (...args: unknown[]) => unknown): void }).callsFake(async (...args: unknown[]) => {
    const signal = (args[1] as { abortSignal: AbortSignal }).abortSignal;
    seen.push(signal);
    return { stream: events(signal), $metadata: {} };
  });
  return seen;
}

/** Resolves after `ms`, or throws an AbortError as the SDK does when the signal fires first. */
function waitOrAbort(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
      },
      { once: true },
    );
  });
}

const text = (value: string, contentBlockIndex = 0): ConverseStreamOutput => ({
  contentBlockDelta: { contentBlockIndex, delta: { text: value } },
});

beforeEach(() => bedrock.reset());

describe('BedrockProvider.chatStream', () => {
  it('maps stream events to deltas: reasoning, text, tool calls by tool index, finish and usage', async () => {
    // Prepare
    bedrock.on(ConverseStreamCommand).resolves({
      stream: eventsOf([
        { messageStart: { role: 'assistant' } },
        { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'x'.repeat(8) } } } },
        { contentBlockStop: { contentBlockIndex: 0 } },
        text('Let me ', 1),
        text('check.', 1),
        { contentBlockStart: { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'tooluse_a', name: 'get_weather' } } } },
        { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: '{"city":' } } } },
        { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: '"Paris"}' } } } },
        { contentBlockStop: { contentBlockIndex: 2 } },
        { contentBlockStart: { contentBlockIndex: 3, start: { toolUse: { toolUseId: 'tooluse_b', name: 'get_time' } } } },
        { contentBlockDelta: { contentBlockIndex: 3, delta: { toolUse: { input: '{}' } } } },
        { messageStop: { stopReason: 'tool_use' } },
        { metadata: { usage: { inputTokens: 30, outputTokens: 12, totalTokens: 42 }, metrics: { latencyMs: 5 } } },
      ]),
      $metadata: {},
    });
    const tools: ChatCall['tools'] = [
      { type: 'function', function: { name: 'get_weather' } },
      { type: 'function', function: { name: 'get_time' } },
    ];

    // Act
    const deltas = await collect(provider().chatStream({ ...call, tools, reasoningEffort: 'low' }));

    // Assess
    const input = bedrock.commandCalls(ConverseStreamCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ modelId: MODEL, additionalModelRequestFields: { reasoning_effort: 'low' } });
    expect(input.toolConfig?.tools).toHaveLength(2);
    expect(deltas).toEqual([
      { reasoning: 'xxxxxxxx' },
      { content: 'Let me ' },
      { content: 'check.' },
      { toolCalls: [{ index: 0, id: 'tooluse_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { toolCalls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { toolCalls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      { toolCalls: [{ index: 1, id: 'tooluse_b', type: 'function', function: { name: 'get_time', arguments: '' } }] },
      { toolCalls: [{ index: 1, function: { arguments: '{}' } }] },
      { finishReason: 'tool_calls' },
      { usage: { promptTokens: 30, completionTokens: 12, reasoningTokens: 2 } },
    ]);
  });

  it('streams a json_schema answer as content, with the schema sent as outputConfig', async () => {
    // Prepare
    bedrock
      .on(ConverseStreamCommand)
      .resolves({ stream: eventsOf([text('{"answer":'), text('"yes"}'), { messageStop: { stopReason: 'end_turn' } }]), $metadata: {} });

    // Act
    const deltas = await collect(
      provider().chatStream({
        ...call,
        responseFormat: { type: 'json_schema', json_schema: { name: 'reply', schema: { type: 'object' } } },
      }),
    );

    // Assess
    expect(bedrock.commandCalls(ConverseStreamCommand)[0]!.args[0].input.outputConfig?.textFormat?.type).toBe('json_schema');
    expect(deltas).toEqual([{ content: '{"answer":' }, { content: '"yes"}' }, { finishReason: 'stop' }]);
  });

  it.each([
    ['ThrottlingException', new ThrottlingException({ message: 'slow down', $metadata: {} }), BackendThrottledError],
    ['ModelStreamErrorException', new ModelStreamErrorException({ message: 'model broke', $metadata: {} }), BackendUnavailableError],
    ['ValidationException', new ValidationException({ message: 'bad', $metadata: {} }), BackendRejectedError],
  ])('maps a %s thrown inside the stream where it happens', async (_name, exception, expected) => {
    // Prepare
    bedrock.on(ConverseStreamCommand).resolves({ stream: eventsOf([text('Hi')], exception), $metadata: {} });
    const stream = provider().chatStream(call)[Symbol.asyncIterator]();

    // Act
    const first = await stream.next();
    const second = stream.next();

    // Assess
    expect(first.value).toEqual({ content: 'Hi' });
    await expect(second).rejects.toBeInstanceOf(expected);
    await expect(second).rejects.toMatchObject({ backendId: 'bedrock-gpt-oss', cause: exception });
  });

  it('treats a stream that ends without messageStop as a broken backend', async () => {
    // Prepare
    bedrock.on(ConverseStreamCommand).resolves({ stream: eventsOf([text('Half')]), $metadata: {} });

    // Act
    const act = collect(provider().chatStream(call));

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(act).rejects.toThrow(/before the answer was finished/);
  });

  it('maps an exception that arrives as an event member', async () => {
    // Prepare
    const exception = new ThrottlingException({ message: 'slow down', $metadata: {} });
    bedrock.on(ConverseStreamCommand).resolves({ stream: eventsOf([{ throttlingException: exception }]), $metadata: {} });

    // Act
    const act = collect(provider().chatStream(call));

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendThrottledError);
  });

  it('throws a failure to open the stream from the first next()', async () => {
    // Prepare
    bedrock.on(ConverseStreamCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: { httpStatusCode: 429 } }));

    // Act
    const first = provider().chatStream(call)[Symbol.asyncIterator]().next();

    // Assess
    await expect(first).rejects.toBeInstanceOf(BackendThrottledError);
  });

  it('refuses tool call arguments that are not JSON before calling Bedrock', async () => {
    // Prepare
    const messages: ChatCall['messages'] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: 'nope' } }] },
      { role: 'tool', tool_call_id: 'c', content: 'x' },
    ];
    const tools: ChatCall['tools'] = [{ type: 'function', function: { name: 'f' } }];

    // Act
    const streamed = collect(provider().chatStream({ ...call, messages, tools }));
    const chatted = provider().chat({ ...call, messages, tools });

    // Assess
    await expect(streamed).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(chatted).rejects.toBeInstanceOf(InvalidRequestError);
    expect(bedrock.commandCalls(ConverseStreamCommand)).toHaveLength(0);
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(0);
  });

  it('times out a stream whose first piece does not come in time', async () => {
    // Prepare
    sendStream(async function* (signal) {
      await waitOrAbort(10_000, signal);
      yield text('late');
    });

    // Act
    const act = collect(provider(30).chatStream(call));

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'BackendUnavailableError', code: 'backend_timeout' });
  });

  it('applies the timeout only until the first piece', async () => {
    // Prepare
    sendStream(async function* (signal) {
      yield text('A');
      await waitOrAbort(100, signal);
      yield text('B');
      yield { messageStop: { stopReason: 'end_turn' } };
    });

    // Act
    const deltas = await collect(provider(30).chatStream(call));

    // Assess
    expect(deltas).toEqual([{ content: 'A' }, { content: 'B' }, { finishReason: 'stop' }]);
  });

  it('aborts the SDK request when the consumer stops early', async () => {
    // Prepare
    const seen = sendStream(async function* () {
      for (;;) yield text('x');
    });

    // Act
    for await (const delta of provider().chatStream(call)) {
      expect(delta).toEqual({ content: 'x' });
      break;
    }

    // Assess
    expect(seen).toHaveLength(1);
    expect(seen[0]!.aborted).toBe(true);
  });

  it('stops when the caller aborts mid-stream', async () => {
    // Prepare
    const seen = sendStream(async function* (signal) {
      yield text('A');
      await waitOrAbort(10_000, signal);
    });
    const controller = new AbortController();
    const stream = provider(1_000).chatStream(call, { signal: controller.signal })[Symbol.asyncIterator]();

    // Act
    await stream.next();
    const pending = stream.next();
    controller.abort();

    // Assess
    await expect(pending).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(pending).rejects.not.toMatchObject({ code: 'backend_timeout' });
    expect(seen[0]!.aborted).toBe(true);
  });
});

describe('BedrockProvider.embed options', () => {
  const titanBody = (body: unknown) => new TextEncoder().encode(JSON.stringify(body)) as InvokeModelCommandOutput['body'];

  it('takes dimensions per call over the constructor default', async () => {
    // Prepare
    bedrock
      .on(InvokeModelCommand)
      .resolves({ body: titanBody({ embedding: [1], inputTextTokenCount: 1 }), contentType: 'application/json', $metadata: {} });
    const titan = new BedrockProvider({ client: new BedrockRuntimeClient({ region: 'us-east-1' }), embeddingDimensions: 1024 });

    // Act
    await titan.embed('amazon.titan-embed-text-v2:0', ['x'], { dimensions: 256 });
    await titan.embed('amazon.titan-embed-text-v2:0', ['y']);

    // Assess
    const bodies = bedrock.commandCalls(InvokeModelCommand).map((c) => JSON.parse(c.args[0].input.body as string) as unknown);
    expect(bodies).toEqual([
      { inputText: 'x', dimensions: 256, normalize: true },
      { inputText: 'y', dimensions: 1024, normalize: true },
    ]);
  });

  it('refuses a token-id input alone, without calling Bedrock for it', async () => {
    // Prepare
    bedrock
      .on(InvokeModelCommand)
      .resolves({ body: titanBody({ embedding: [1], inputTextTokenCount: 1 }), contentType: 'application/json', $metadata: {} });

    // Act
    const results = await provider().embed('amazon.titan-embed-text-v2:0', [[1, 2, 3], 'text']);

    // Assess
    expect(results[0]).toEqual({ ok: false, error: expect.any(BackendRejectedError) });
    expect(results[1]).toMatchObject({ ok: true, value: { vector: [1] } });
    expect(bedrock.commandCalls(InvokeModelCommand)).toHaveLength(1);
  });
});
