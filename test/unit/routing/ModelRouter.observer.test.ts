import { ModelCatalogue } from '../../../shared/domain/catalogue';
import { ModelRouter, routeOf, type FallbackReason } from '../../../shared/routing/ModelRouter';
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
  ],
});

function makeRouter(clock: { t: number }) {
  const fallbacks: Array<{ modelId: string; from: string; to: string; reason: FallbackReason }> = [];
  const circuits: Array<{ backendId: string; state: 'open' | 'closed' }> = [];
  const router = new ModelRouter(catalogue, {
    providerFor: (ref) => new FakeProvider(ref.id, 32),
    failureThreshold: 2,
    cooldownMs: 1_000,
    now: () => clock.t,
    observer: { onFallback: (event) => fallbacks.push(event), onCircuit: (event) => circuits.push(event) },
  });
  return { router, fallbacks, circuits };
}

describe('ModelRouter: observer port', () => {
  const route = routeOf('chat', 'gpt-oss-20b');

  it('reports a retry that goes to the second backend, and no fallback on the first', () => {
    // Prepare
    const { router, fallbacks } = makeRouter({ t: 0 });
    // Act
    router.resolve(route);
    router.resolve(route, 'gpu');
    // Assess
    expect(fallbacks).toEqual([{ modelId: 'gpt-oss-20b', from: 'gpu', to: 'bedrock', reason: 'retry' }]);
  });

  it('reports the circuit opening, each call routed around it, and its closing after a good probe', () => {
    // Prepare
    const clock = { t: 0 };
    const { router, fallbacks, circuits } = makeRouter(clock);
    // Act: two faults open gpu's circuit; the next call skips it.
    router.record('gpu', 'failure');
    router.record('gpu', 'failure');
    router.record('gpu', 'failure');
    const skipped = router.resolve(route).id;
    clock.t = 1_000;
    const probe = router.resolve(route).id;
    router.record('gpu', 'success');
    // Assess
    expect(skipped).toBe('bedrock');
    expect(probe).toBe('gpu');
    expect(fallbacks).toEqual([{ modelId: 'gpt-oss-20b', from: 'gpu', to: 'bedrock', reason: 'circuit_open' }]);
    expect(circuits).toEqual([
      { backendId: 'gpu', state: 'open' },
      { backendId: 'gpu', state: 'closed' },
    ]);
  });

  it('routes as before when the observer throws', () => {
    // Prepare
    const router = new ModelRouter(catalogue, {
      providerFor: (ref) => new FakeProvider(ref.id, 32),
      failureThreshold: 1,
      cooldownMs: 1_000,
      now: () => 0,
      observer: {
        onFallback: () => {
          throw new Error('broken');
        },
        onCircuit: () => {
          throw new Error('broken');
        },
      },
    });
    // Act
    router.record('gpu', 'failure');
    // Assess
    expect(router.resolve(route).id).toBe('bedrock');
  });
});
