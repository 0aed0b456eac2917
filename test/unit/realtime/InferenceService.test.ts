import { BatchingCore } from '../../../shared/batchingCore/BatchingCore';
import { ModelCatalogue } from '../../../shared/domain/catalogue';
import type { InferenceInput, InferenceOutput } from '../../../shared/domain/inference';
import { BackendRejectedError, BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { ContextLengthExceededError, InvalidRequestError, ModelNotFoundError } from '../../../shared/errors/requestErrors';
import { PlatformError } from '../../../shared/errors/PlatformError';
import { toOpenAiError } from '../../../shared/http/openAiErrors';
import { InferenceService } from '../../../shared/realtime/InferenceService';
import { ModelRouter } from '../../../shared/routing/ModelRouter';
import { FakeProvider } from '../../helpers/fakeProvider';

const catalogue = ModelCatalogue.parse({
  models: [
    {
      id: 'chat-a',
      kind: 'chat',
      contextTokens: 200,
      maxOutputTokens: 100,
      backends: [
        { provider: 'openai-compatible', id: 'gpu', model: 'served-a', baseUrls: ['http://127.0.0.1:1'] },
        { provider: 'bedrock', id: 'bedrock', model: 'br-a' },
      ],
    },
    {
      id: 'embed-b',
      kind: 'embeddings',
      contextTokens: 50,
      backends: [
        { provider: 'openai-compatible', id: 'gpu-embed', model: 'served-b', baseUrls: ['http://127.0.0.1:1'], maxBatchItems: 64 },
      ],
    },
  ],
});

function makeService() {
  const providers = new Map<string, FakeProvider>();
  const router = new ModelRouter(catalogue, {
    providerFor: (ref) => {
      const p = new FakeProvider(ref.id);
      providers.set(ref.id, p);
      return p;
    },
    failureThreshold: 3,
    cooldownMs: 60_000,
  });
  const core = new BatchingCore<InferenceInput, InferenceOutput>(router, { baseBackoffMs: 1, maxBackoffMs: 1, maxAttempts: 3 });
  return { service: new InferenceService(router, core, () => 1_700_000_000_000), providers };
}

const user = (content: string) => ({ role: 'user' as const, content });

describe('InferenceService', () => {
  it('answers a chat completion in the OpenAI shape with the backend usage', async () => {
    // Prepare
    const { service, providers } = makeService();
    // Act
    const response = await service.chatCompletion({
      model: 'chat-a',
      messages: [user('hi')],
      max_tokens: 10,
      stop: 'END',
      temperature: 0.5,
    });
    // Assess
    expect(response).toEqual({
      id: expect.stringMatching(/^chatcmpl-[0-9a-f]{32}$/),
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'chat-a',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'gpu:served-a', refusal: null }, finish_reason: 'stop', logprobs: null },
      ],
      usage: {
        prompt_tokens: 3,
        completion_tokens: 2,
        total_tokens: 5,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
    expect(providers.get('gpu')!.chatCalls[0]).toEqual({
      model: 'served-a',
      messages: [user('hi')],
      maxTokens: 10,
      temperature: 0.5,
      topP: undefined,
      stop: ['END'],
      seed: undefined,
    });
  });

  it('falls back to the next backend when the first is down', async () => {
    const { service, providers } = makeService();
    providers.get('gpu')!.failWith = new BackendUnavailableError('down');
    const response = await service.chatCompletion({ model: 'chat-a', messages: [user('hi')] });
    expect(response.choices[0]!.message.content).toBe('bedrock:br-a');
  });

  it('turns a backend rejection into a 400 and exhausted retries into a retryable 503', async () => {
    const { service, providers } = makeService();
    providers.get('gpu')!.failWith = new BackendRejectedError('bad input');
    await expect(service.chatCompletion({ model: 'chat-a', messages: [user('hi')] })).rejects.toMatchObject({
      status: 400,
      code: 'backend_rejected_request',
    });
    providers.get('gpu')!.failWith = new BackendUnavailableError('down');
    providers.get('bedrock')!.failWith = new BackendUnavailableError('down too');
    const error = await service.chatCompletion({ model: 'chat-a', messages: [user('hi')] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ status: 503, retryable: true });
  });

  it("keeps the backend's own text and our backend ids out of a 503 and names the model; the text stays in the cause", async () => {
    // Prepare: both backends fail with text a caller must not see
    const { service, providers } = makeService();
    providers.get('gpu')!.failWith = new BackendUnavailableError('upstream http://10.0.1.10:8000 said: CUDA out of memory', {
      backendId: 'gpu',
    });
    providers.get('bedrock')!.failWith = new BackendUnavailableError('ServiceUnavailableException in account 123456789012', {
      backendId: 'bedrock',
    });

    // Act
    const error = (await service.chatCompletion({ model: 'chat-a', messages: [user('hi')] }).catch((e: unknown) => e)) as PlatformError;
    const { status, body } = toOpenAiError(error);

    // Assess
    expect(status).toBe(503);
    expect(body.error).toEqual({
      message: "The model 'chat-a' is unavailable right now; try again.",
      type: 'server_error',
      param: null,
      code: 'backend_unavailable',
    });
    expect(JSON.stringify(body)).not.toMatch(/10\.0\.1\.10|CUDA|123456789012|gpu|bedrock/);
    expect(String((error.cause as Error).message)).toMatch(/CUDA|123456789012/);
  });

  it('answers 504 without calling a backend when the deadline has already passed', async () => {
    const { service, providers } = makeService();
    await expect(service.chatCompletion({ model: 'chat-a', messages: [user('hi')] }, { deadline: Date.now() })).rejects.toMatchObject({
      status: 504,
      code: 'deadline_exceeded',
    });
    expect(providers.get('gpu')!.chatCalls).toHaveLength(0);
  });

  it('refuses streaming, too many output tokens and prompts over the context window, naming the field', async () => {
    const { service } = makeService();
    await expect(service.chatCompletion({ model: 'chat-a', messages: [user('hi')], stream: true })).rejects.toMatchObject({
      param: 'stream',
      code: 'unsupported_parameter',
    });
    await expect(service.chatCompletion({ model: 'chat-a', messages: [user('hi')], max_completion_tokens: 101 })).rejects.toMatchObject({
      param: 'max_completion_tokens',
      status: 400,
    });
    await expect(service.chatCompletion({ model: 'chat-a', messages: [user('x'.repeat(800))], max_tokens: 10 })).rejects.toBeInstanceOf(
      ContextLengthExceededError,
    );
  });

  it('names an unknown model and a model of the wrong kind', async () => {
    const { service } = makeService();
    await expect(service.chatCompletion({ model: 'nope', messages: [user('hi')] })).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(service.embeddings({ model: 'chat-a', input: 'x' })).rejects.toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('embeds a list of inputs in one backend call, in order, with usage summed', async () => {
    const { service, providers } = makeService();
    const response = await service.embeddings({ model: 'embed-b', input: ['a', 'bb', 'ccc'] });
    expect(providers.get('gpu-embed')!.embedCalls).toEqual([{ model: 'served-b', inputs: ['a', 'bb', 'ccc'] }]);
    expect(response).toEqual({
      object: 'list',
      model: 'embed-b',
      data: [1, 2, 3].map((length, index) => ({ object: 'embedding', index, embedding: [length, 0.5] })),
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
  });

  it('encodes base64 embeddings as little-endian float32', async () => {
    const { service } = makeService();
    const response = await service.embeddings({ model: 'embed-b', input: 'abcd', encoding_format: 'base64' });
    const bytes = Buffer.from(response.data[0]!.embedding as string, 'base64');
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([4, 0.5]);
  });

  it('refuses an embedding input over the context window, naming its index, and dimensions', async () => {
    const { service } = makeService();
    await expect(service.embeddings({ model: 'embed-b', input: ['ok', 'x'.repeat(400)] })).rejects.toMatchObject({
      param: 'input[1]',
      code: 'context_length_exceeded',
    });
    await expect(service.embeddings({ model: 'embed-b', input: 'ok', dimensions: 8 })).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('lists and retrieves models', () => {
    const { service } = makeService();
    expect(service.listModels().data.map((m) => m.id)).toEqual(['chat-a', 'embed-b']);
    expect(service.getModel('embed-b')).toEqual({ id: 'embed-b', object: 'model', created: expect.any(Number), owned_by: 'platform' });
    expect(() => service.getModel('zzz')).toThrow(ModelNotFoundError);
  });
});

describe('InferenceService, admission (rate limits and budgets)', () => {
  it('admits a request with its estimated tokens before any backend call, and settles it with the tokens used', async () => {
    // Prepare
    const { service, providers } = makeService();
    const settled: number[] = [];
    const admit = jest.fn(async (_estimate: number) => (tokens: number) => void settled.push(tokens));
    // Act
    await service.chatCompletion({ model: 'chat-a', messages: [user('hi')], max_tokens: 10 }, { admit });
    await service.embeddings({ model: 'embed-b', input: ['abcd', 'abcdefgh'] }, { admit });
    // Assess: chat's estimate is its prompt plus max_tokens; embeddings' its inputs (1 + 2).
    expect(admit.mock.calls[0]![0]).toBeGreaterThan(10);
    expect(admit.mock.calls[1]![0]).toBe(3);
    expect(settled[0]).toBe(5); // 3 prompt + 2 completion, as the fake backend reports
    expect(providers.get('gpu')!.chatCalls).toHaveLength(1);
  });

  it('calls no backend when admission refuses, and settles a failed request with 0 tokens', async () => {
    // Prepare
    const { service, providers } = makeService();
    const refusal = new PlatformError('over', { code: 'rate_limit_exceeded', status: 429, type: 'requests' });
    const settled: number[] = [];
    // Act
    const refused = await service
      .chatCompletion({ model: 'chat-a', messages: [user('hi')] }, { admit: async () => Promise.reject(refusal) })
      .catch((e: unknown) => e);
    providers.get('gpu')!.failWith = new BackendRejectedError('no');
    providers.get('bedrock')!.failWith = new BackendRejectedError('no');
    await service
      .chatCompletion({ model: 'chat-a', messages: [user('hi')] }, { admit: async () => (tokens) => void settled.push(tokens) })
      .catch(() => undefined);
    // Assess
    expect(refused).toBe(refusal);
    expect(providers.get('gpu')!.chatCalls).toHaveLength(1); // only the second request's call
    expect(settled).toEqual([0]);
  });

  it('settles a stream when it ends, with the usage its backend reported', async () => {
    // Prepare
    const { service } = makeService();
    const settled: number[] = [];
    // Act
    const chunks = await service.chatCompletionStream(
      { model: 'chat-a', messages: [user('hi')], stream: true },
      { admit: async () => (tokens) => void settled.push(tokens) },
    );
    const before = [...settled];
    for await (const _ of chunks) {
      // read to the end
    }
    // Assess
    expect(before).toEqual([]);
    expect(settled).toEqual([5]);
  });
});
