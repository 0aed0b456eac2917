import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand, ValidationException } from '@aws-sdk/client-bedrock-runtime';
import type { ConverseCommandOutput, InvokeModelCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { BackendRejectedError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { BedrockProvider } from '../../../shared/providers/bedrock/BedrockProvider';
import type { ChatCall } from '../../../shared/domain/inference';

const bedrock = mockClient(BedrockRuntimeClient);
const MODEL = 'openai.gpt-oss-120b-1:0';
const TITAN = 'amazon.titan-embed-text-v2:0';

function provider(options: { timeoutMs?: number; embeddingDimensions?: number } = {}): BedrockProvider {
  return new BedrockProvider({ client: new BedrockRuntimeClient({ region: 'us-east-1' }), backendId: 'bedrock-gpt-oss', ...options });
}

function converseOutput(overrides: Partial<ConverseCommandOutput> = {}): ConverseCommandOutput {
  return {
    output: { message: { role: 'assistant', content: [{ text: 'Hello' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 },
    metrics: { latencyMs: 10 },
    $metadata: {},
    ...overrides,
  };
}

function titanBody(body: unknown): InvokeModelCommandOutput['body'] {
  // The SDK hands back a Uint8Array subclass; a plain one is what the provider reads.
  return new TextEncoder().encode(JSON.stringify(body)) as InvokeModelCommandOutput['body'];
}

const simpleCall: ChatCall = { model: MODEL, messages: [{ role: 'user', content: 'Hi' }] };

beforeEach(() => bedrock.reset());

describe('BedrockProvider.chat request', () => {
  it('maps OpenAI messages and sampling options to a Converse request', async () => {
    // Prepare
    bedrock.on(ConverseCommand).resolves(converseOutput());
    const call: ChatCall = {
      model: MODEL,
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'Answer in ' },
            { type: 'text', text: 'French.' },
          ],
        },
        { role: 'user', content: 'Hello' },
        { role: 'user', content: 'Who are you?' },
        { role: 'assistant', content: '' },
        { role: 'assistant', content: 'Un assistant.' },
        { role: 'user', content: 'Merci' },
      ],
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 256,
      stop: ['END'],
      seed: 7,
    };

    // Act
    await provider().chat(call);

    // Assess
    const calls = bedrock.commandCalls(ConverseCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      modelId: MODEL,
      system: [{ text: 'Be brief.' }, { text: 'Answer in French.' }],
      messages: [
        { role: 'user', content: [{ text: 'Hello\n\nWho are you?' }] },
        { role: 'assistant', content: [{ text: 'Un assistant.' }] },
        { role: 'user', content: [{ text: 'Merci' }] },
      ],
      inferenceConfig: { temperature: 0.2, topP: 0.9, maxTokens: 256, stopSequences: ['END'] },
    });
  });

  it('leaves out system and inferenceConfig when the call has none', async () => {
    // Prepare
    bedrock.on(ConverseCommand).resolves(converseOutput());

    // Act
    await provider().chat(simpleCall);

    // Assess
    expect(bedrock.commandCalls(ConverseCommand)[0]!.args[0].input).toEqual({
      modelId: MODEL,
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
    });
  });
});

describe('BedrockProvider.chat response', () => {
  it('maps text, finish reason and usage', async () => {
    // Prepare
    bedrock.on(ConverseCommand).resolves(converseOutput());

    // Act
    const result = await provider().chat(simpleCall);

    // Assess
    expect(result).toEqual({
      content: 'Hello',
      finishReason: 'stop',
      usage: { promptTokens: 12, completionTokens: 3 },
      serviceTier: 'standard',
    });
  });

  it('skips the reasoning block gpt-oss puts before the answer', async () => {
    // Prepare
    bedrock.on(ConverseCommand).resolves(
      converseOutput({
        output: {
          message: {
            role: 'assistant',
            content: [{ reasoningContent: { reasoningText: { text: 'The user greets me.' } } }, { text: 'Hi ' }, { text: 'there' }],
          },
        },
      }),
    );

    // Act
    const result = await provider().chat(simpleCall);

    // Assess
    expect(result.content).toBe('Hi there');
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
  ] as const)('maps stopReason %s to finishReason %s', async (stopReason, finishReason) => {
    // Prepare
    bedrock.on(ConverseCommand).resolves(converseOutput({ stopReason }));

    // Act
    const result = await provider().chat(simpleCall);

    // Assess
    expect(result.finishReason).toBe(finishReason);
  });
});

describe('BedrockProvider.embed', () => {
  it('sends one Titan v2 request per input and maps vector and tokens', async () => {
    // Prepare
    bedrock
      .on(InvokeModelCommand)
      .resolvesOnce({ body: titanBody({ embedding: [0.1, 0.2], inputTextTokenCount: 4 }), contentType: 'application/json', $metadata: {} })
      .resolvesOnce({ body: titanBody({ embedding: [0.3, 0.4], inputTextTokenCount: 6 }), contentType: 'application/json', $metadata: {} });

    // Act
    const results = await provider({ embeddingDimensions: 256 }).embed(TITAN, ['first text', 'second text']);

    // Assess
    const calls = bedrock.commandCalls(InvokeModelCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.args[0].input).toMatchObject({ modelId: TITAN, contentType: 'application/json', accept: 'application/json' });
    expect(JSON.parse(calls[0]!.args[0].input.body as string)).toEqual({ inputText: 'first text', dimensions: 256, normalize: true });
    expect(JSON.parse(calls[1]!.args[0].input.body as string)).toEqual({ inputText: 'second text', dimensions: 256, normalize: true });
    expect(results).toEqual([
      {
        ok: true,
        value: { vector: [0.1, 0.2], usage: { promptTokens: 4, completionTokens: 0 } },
        usage: { promptTokens: 4, completionTokens: 0 },
      },
      {
        ok: true,
        value: { vector: [0.3, 0.4], usage: { promptTokens: 6, completionTokens: 0 } },
        usage: { promptTokens: 6, completionTokens: 0 },
      },
    ]);
  });

  it('has one input per call and omits dimensions when not configured', async () => {
    // Prepare
    bedrock
      .on(InvokeModelCommand)
      .resolves({ body: titanBody({ embedding: [1], inputTextTokenCount: 1 }), contentType: 'application/json', $metadata: {} });
    const titan = provider();

    // Act
    await titan.embed(TITAN, ['x']);

    // Assess
    expect(titan.maxEmbeddingInputs).toBe(1);
    expect(JSON.parse(bedrock.commandCalls(InvokeModelCommand)[0]!.args[0].input.body as string)).toEqual({
      inputText: 'x',
      normalize: true,
    });
  });

  it('fails a rejected input alone as an item result', async () => {
    // Prepare
    bedrock
      .on(InvokeModelCommand)
      .rejectsOnce(new ValidationException({ message: 'Too many input tokens', $metadata: { httpStatusCode: 400 } }))
      .resolvesOnce({ body: titanBody({ embedding: [1], inputTextTokenCount: 1 }), contentType: 'application/json', $metadata: {} });

    // Act
    const results = await provider().embed(TITAN, ['very long', 'ok']);

    // Assess
    expect(results[0]).toEqual({ ok: false, error: expect.any(BackendRejectedError) });
    expect(results[1]).toMatchObject({ ok: true, value: { vector: [1] } });
  });

  it('treats a body without an embedding as an unavailable backend', async () => {
    // Prepare
    bedrock.on(InvokeModelCommand).resolves({ body: titanBody({ message: 'oops' }), contentType: 'application/json', $metadata: {} });

    // Act
    const act = provider().embed(TITAN, ['x']);

    // Assess
    await expect(act).rejects.toBeInstanceOf(BackendUnavailableError);
  });
});
