import { createHandler as chatHandler } from '../../../functions/http/chatCompletions';
import { createHandler as embeddingsHandler } from '../../../functions/http/embeddings';
import { BatchingCore } from '../../../shared/batchingCore/BatchingCore';
import { ModelCatalogue } from '../../../shared/domain/catalogue';
import type {
  ChatCall,
  ChatResult,
  EmbeddingInput,
  EmbeddingResult,
  InferenceInput,
  InferenceOutput,
} from '../../../shared/domain/inference';
import type { ItemResult } from '../../../shared/batchingCore/types';
import { InferenceService } from '../../../shared/realtime/InferenceService';
import type { CallOptions, EmbedOptions } from '../../../shared/providers/types';
import { ModelRouter } from '../../../shared/routing/ModelRouter';
import { FakeProvider } from '../../helpers/fakeProvider';
import { invokeHandler, lambdaContext, loadEvent } from '../../helpers/events';

/** A provider that accepts every call and never answers: it only stops when its signal aborts. */
class HungProvider extends FakeProvider {
  override async chat(call: ChatCall, options?: CallOptions): Promise<ChatResult> {
    this.chatCalls.push(call);
    return hang(options?.signal);
  }

  override async embed(model: string, inputs: EmbeddingInput[], options: EmbedOptions = {}): Promise<ItemResult<EmbeddingResult>[]> {
    this.embedCalls.push({ model, inputs });
    return hang(options.signal);
  }
}

function hang(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

const catalogue = ModelCatalogue.parse({
  models: [
    {
      id: 'gpt-oss-20b',
      kind: 'chat',
      contextTokens: 10_000,
      maxOutputTokens: 100,
      backends: [
        {
          provider: 'openai-compatible',
          id: 'gpu',
          model: 'served',
          baseUrls: ['http://127.0.0.1:1'],
          expectedLatencyMs: 100,
          timeoutMs: 120_000,
        },
        { provider: 'bedrock', id: 'bedrock', model: 'br', expectedLatencyMs: 100, timeoutMs: 120_000 },
      ],
    },
    {
      id: 'bge-m3',
      kind: 'embeddings',
      contextTokens: 8_000,
      backends: [
        {
          provider: 'openai-compatible',
          id: 'gpu-embed',
          model: 'bge',
          baseUrls: ['http://127.0.0.1:1'],
          expectedLatencyMs: 100,
          timeoutMs: 60_000,
        },
      ],
    },
  ],
});

/** The real service, router and core (as createInferenceRuntime tunes it) over a hung GPU pool and a working Bedrock. */
function makeService() {
  const providers = new Map<string, FakeProvider>();
  const router = new ModelRouter(catalogue, {
    providerFor: (ref) => {
      const provider = ref.provider === 'bedrock' ? new FakeProvider(ref.id) : new HungProvider(ref.id);
      providers.set(ref.id, provider);
      return provider;
    },
    failureThreshold: 5,
    cooldownMs: 60_000,
  });
  const core = new BatchingCore<InferenceInput, InferenceOutput>(router, { maxAttempts: 3, deadlineSafetyMs: 250 });
  return { service: new InferenceService(router, core), providers };
}

const chatEvent = () => loadEvent('http/chatCompletions.json');
const embeddingsEvent = () => {
  const event = loadEvent('http/chatCompletions.json');
  return { ...event, path: '/v1/embeddings', resource: '/v1/embeddings', body: JSON.stringify({ model: 'bge-m3', input: ['a', 'b'] }) };
};

describe('deadlines on the real-time path', () => {
  it('chat: a hung GPU pool costs one share of the time left, then Bedrock answers well within the function', async () => {
    // Prepare: 3 s left in the function
    const { service, providers } = makeService();
    const handler = chatHandler({ service, maxBodyBytes: 10_000 });
    const started = Date.now();

    // Act
    const response = await invokeHandler(handler, chatEvent(), lambdaContext(3_000));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).choices[0].message.content).toBe('bedrock:br');
    expect(providers.get('gpu')!.chatCalls).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('embeddings: a hung backend with no fallback gives 504 deadline_exceeded in the OpenAI shape before the function ends, never a 500', async () => {
    // Prepare: 2 s left in the function
    const { service } = makeService();
    const handler = embeddingsHandler({ service, maxBodyBytes: 10_000 });
    const started = Date.now();

    // Act
    const response = await invokeHandler(handler, embeddingsEvent(), lambdaContext(2_000));

    // Assess
    expect(response.statusCode).toBe(504);
    expect(JSON.parse(response.body)).toEqual({
      error: { message: expect.any(String), type: 'server_error', param: null, code: 'deadline_exceeded' },
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
