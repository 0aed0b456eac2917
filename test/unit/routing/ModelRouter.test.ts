import { ModelCatalogue } from '../../../shared/domain/catalogue';
import { BackendUnavailableError } from '../../../shared/errors/backendErrors';
import { ModelNotFoundError } from '../../../shared/errors/requestErrors';
import { ModelRouter, routeOf } from '../../../shared/routing/ModelRouter';
import { FakeProvider } from '../../helpers/fakeProvider';

const catalogue = ModelCatalogue.parse({
  models: [
    {
      id: 'gpt-oss-20b',
      kind: 'chat',
      contextTokens: 1000,
      backends: [
        { provider: 'openai-compatible', id: 'gpu', model: 'served-20b', baseUrls: ['http://127.0.0.1:1'] },
        { provider: 'bedrock', id: 'bedrock', model: 'openai.gpt-oss-20b-1:0' },
      ],
    },
    {
      id: 'bge-m3',
      kind: 'embeddings',
      contextTokens: 1000,
      backends: [
        { provider: 'openai-compatible', id: 'gpu-embed', model: 'BAAI/bge-m3', baseUrls: ['http://127.0.0.1:1'], maxBatchItems: 128 },
      ],
    },
  ],
});

function makeRouter(now = () => 0, slowCallFactor?: number) {
  const providers = new Map<string, FakeProvider>();
  const router = new ModelRouter(catalogue, {
    providerFor: (ref) => {
      const p = new FakeProvider(ref.id, 32);
      providers.set(ref.id, p);
      return p;
    },
    failureThreshold: 2,
    cooldownMs: 1_000,
    now,
    ...(slowCallFactor !== undefined ? { slowCallFactor } : {}),
  });
  return { router, providers };
}

describe('ModelRouter', () => {
  it('sends a model to its first backend, with the backend model name', async () => {
    // Prepare
    const { router, providers } = makeRouter();
    // Act
    const backend = router.resolve(routeOf('chat', 'gpt-oss-20b'));
    const [result] = await backend.invoke([{ kind: 'chat', call: { messages: [{ role: 'user', content: 'hi' }] } }], {
      signal: new AbortController().signal,
    });
    // Assess
    expect(backend.id).toBe('gpu');
    expect(providers.get('gpu')!.chatCalls[0]!.model).toBe('served-20b');
    expect(result).toEqual({
      ok: true,
      value: { kind: 'chat', result: expect.objectContaining({ content: 'gpu:served-20b' }) },
      usage: { promptTokens: 3, completionTokens: 2 },
    });
  });

  it('sends a route with requirements only to backends that serve them, even on a retry', () => {
    // Prepare
    const { router } = makeRouter();
    const seeded = routeOf('chat', 'gpt-oss-20b', ['seed']);
    // Act
    const first = router.resolve(seeded).id;
    const retry = router.resolve(seeded, 'gpu').id;
    // Assess
    expect(first).toBe('gpu');
    expect(retry).toBe('gpu');
    expect(() => router.resolve(routeOf('embeddings', 'bge-m3', ['dimensions=256']))).toThrow(
      /No backend of 'bge-m3' serves dimensions=256/,
    );
  });

  it('answers a strict json_schema request that breaks its schema as a bad item, retried without charging the circuit', async () => {
    // Prepare: the fake answers 'gpu:served-20b', which is not JSON.
    const { router } = makeRouter();
    const responseFormat = { type: 'json_schema' as const, json_schema: { name: 'x', strict: true, schema: { type: 'object' } } };
    const ask = (stop?: string[]) =>
      router
        .resolve(routeOf('chat', 'gpt-oss-20b'))
        .invoke([{ kind: 'chat', call: { messages: [{ role: 'user', content: 'hi' }], responseFormat, stop } }], {
          signal: new AbortController().signal,
        });
    // Act
    const [broken] = await ask();
    const [cut] = await ask(['}']);
    // Assess
    expect(broken).toMatchObject({ ok: false, error: { code: 'bad_backend_response', retryable: true } });
    expect((broken as { error: unknown }).error).toBeInstanceOf(BackendUnavailableError);
    expect(cut).toMatchObject({ ok: true });
    expect(router.circuitStates()).toEqual({ gpu: 'closed', bedrock: 'closed', 'gpu-embed': 'closed' });
  });

  it('a retry after a fault goes to the next backend', () => {
    const { router } = makeRouter();
    expect(router.resolve(routeOf('chat', 'gpt-oss-20b'), 'gpu').id).toBe('bedrock');
  });

  it('skips a backend whose circuit is open, and comes back to it after the cooldown', () => {
    // Prepare
    let now = 0;
    const { router } = makeRouter(() => now);
    // Act
    router.record('gpu', 'failure');
    router.record('gpu', 'failure');
    const whileOpen = router.resolve(routeOf('chat', 'gpt-oss-20b')).id;
    now = 1_000;
    const afterCooldown = router.resolve(routeOf('chat', 'gpt-oss-20b')).id;
    router.record('gpu', 'success');
    // Assess
    expect(whileOpen).toBe('bedrock');
    expect(afterCooldown).toBe('gpu');
    expect(router.circuitStates()).toEqual({ gpu: 'closed', bedrock: 'closed', 'gpu-embed': 'closed' });
  });

  it('throws a retryable error when every backend of a model is open, saying when a probe may go', () => {
    let now = 0;
    const { router } = makeRouter(() => now);
    router.record('gpu-embed', 'failure');
    router.record('gpu-embed', 'failure');
    now = 300;
    let thrown: unknown;
    try {
      router.resolve(routeOf('embeddings', 'bge-m3'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BackendUnavailableError);
    expect(thrown).toMatchObject({ code: 'all_backends_unavailable', retryAfterMs: 700 });
  });

  it('sends a list of embedding inputs as one call, capped by what the provider takes', async () => {
    const { router, providers } = makeRouter();
    const backend = router.resolve(routeOf('embeddings', 'bge-m3'));
    const results = await backend.invoke(
      [
        { kind: 'embedding', input: 'a' },
        { kind: 'embedding', input: 'bbb' },
      ],
      { signal: new AbortController().signal },
    );
    expect(backend.maxBatchItems).toBe(32);
    expect(providers.get('gpu-embed')!.embedCalls).toEqual([{ model: 'BAAI/bge-m3', inputs: ['a', 'bbb'] }]);
    expect(results.map((r) => r.ok && r.value.kind === 'embedding' && r.value.result.vector[0])).toEqual([1, 3]);
  });

  it('names an unknown model, or a model of the wrong kind, with a 404', () => {
    const { router } = makeRouter();
    expect(() => router.model('nope')).toThrow(ModelNotFoundError);
    expect(() => router.model('bge-m3', 'chat')).toThrow("The model 'bge-m3' is an embeddings model and cannot serve chat completions.");
    expect(router.model('bge-m3', 'embeddings').id).toBe('bge-m3');
  });

  it('falls back from a hung backend once its calls run ten times its expected latency, before they time out', async () => {
    // Prepare: the GPU accepts calls and never answers (expected latency 2 s by default: slow after 20 s).
    let now = 0;
    const { router, providers } = makeRouter(() => now);
    providers.get('gpu')!.chat = () => new Promise(() => undefined);
    const route = routeOf('chat', 'gpt-oss-20b');
    const call = () =>
      void router.resolve(route).invoke([{ kind: 'chat', call: { messages: [{ role: 'user', content: 'hi' }] } }], {
        signal: new AbortController().signal,
      });
    call();
    call();

    // Act
    now = 19_999;
    const beforeSlow = router.resolve(route).id;
    now = 20_000;
    const afterSlow = router.resolve(route).id;

    // Assess
    expect(beforeSlow).toBe('gpu');
    expect(afterSlow).toBe('bedrock');
    expect(router.circuitStates()).toMatchObject({ gpu: 'open' });
  });

  it('never opens a circuit for slow calls when slowCallFactor is 0', () => {
    // Prepare
    let now = 0;
    const { router, providers } = makeRouter(() => now, 0);
    providers.get('gpu')!.chat = () => new Promise(() => undefined);
    const route = routeOf('chat', 'gpt-oss-20b');
    for (let i = 0; i < 3; i++)
      void router.resolve(route).invoke([{ kind: 'chat', call: { messages: [{ role: 'user', content: 'hi' }] } }], {
        signal: new AbortController().signal,
      });
    // Act
    now = 600_000;
    // Assess
    expect(router.resolve(route).id).toBe('gpu');
  });
});
