import { ModelCatalogue } from '../../../shared/domain/catalogue';
import { CapacityPendingError } from '../../../shared/errors/backendErrors';
import { ModelRouter, routeOf } from '../../../shared/routing/ModelRouter';
import { FakeProvider } from '../../helpers/fakeProvider';

const NOW = Date.UTC(2026, 0, 1, 12);
const HOUR = 3_600_000;
const ROUTE = routeOf('chat', 'gpt-oss-20b');

/** A model whose GPU pool takes 10 minutes to start, with Bedrock behind it; and a model Bedrock alone serves. */
const catalogue = ModelCatalogue.parse({
  models: [
    {
      id: 'gpt-oss-20b',
      kind: 'chat',
      contextTokens: 1000,
      backends: [
        { provider: 'openai-compatible', id: 'gpu', model: 'gpt-oss-20b', baseUrls: ['http://127.0.0.1:1'], startupSeconds: 600 },
        { provider: 'bedrock', id: 'bedrock', model: 'openai.gpt-oss-20b-1:0' },
      ],
    },
    {
      id: 'claude',
      kind: 'chat',
      contextTokens: 1000,
      backends: [
        { provider: 'bedrock', id: 'bedrock-a', model: 'a' },
        { provider: 'bedrock', id: 'bedrock-b', model: 'b' },
      ],
    },
  ],
});

function makeRouter() {
  return new ModelRouter(catalogue, {
    providerFor: (ref) => new FakeProvider(ref.id, 32),
    failureThreshold: 1,
    cooldownMs: 60_000,
    now: () => NOW,
  });
}

describe('ModelRouter: batch work and a GPU pool without capacity', () => {
  it('keeps batch work whose deadline is far for the pool instead of falling back, whether the pool is down or just failed', () => {
    // Prepare
    const router = makeRouter();
    const batch = { priority: 'batch' as const, completesBy: NOW + 24 * HOUR };

    // Act & Assess: the call just failed (saturated or erroring)
    expect(() => router.resolve(ROUTE, 'gpu', batch)).toThrow(CapacityPendingError);
    // Act & Assess: the circuit is open (no healthy server)
    router.record('gpu', 'failure');
    expect(() => router.resolve(ROUTE, undefined, batch)).toThrow(/GPU pool of 'gpt-oss-20b' has no capacity now/);
  });

  it('sends batch work to Bedrock when its deadline could not wait for the start-up', () => {
    // Prepare
    const router = makeRouter();
    router.record('gpu', 'failure');

    // Act
    const backend = router.resolve(ROUTE, undefined, { priority: 'batch', completesBy: NOW + 15 * 60_000 });

    // Assess
    expect(backend.id).toBe('bedrock');
  });

  it('sends real-time work, and batch work without a deadline given (its last delivery), to Bedrock at once', () => {
    // Prepare
    const router = makeRouter();
    router.record('gpu', 'failure');

    // Act & Assess
    expect(router.resolve(ROUTE, undefined, { priority: 'realtime', completesBy: NOW + 24 * HOUR }).id).toBe('bedrock');
    expect(router.resolve(ROUTE, undefined, { priority: 'batch' }).id).toBe('bedrock');
    expect(router.resolve(ROUTE).id).toBe('bedrock');
  });

  it('uses the pool while it serves, and leaves models whose first backend is no GPU pool alone', () => {
    // Prepare
    const router = makeRouter();
    const batch = { priority: 'batch' as const, completesBy: NOW + 24 * HOUR };

    // Act & Assess
    expect(router.resolve(ROUTE, undefined, batch).id).toBe('gpu');
    expect(router.resolve(routeOf('chat', 'claude'), 'bedrock-a', batch).id).toBe('bedrock-b');
  });

  it("counts nothing against the pool's fallback when it keeps the work: the fallback's circuit sees no dispatch", () => {
    // Prepare
    const router = makeRouter();
    const batch = { priority: 'batch' as const, completesBy: NOW + 24 * HOUR };

    // Act
    for (let i = 0; i < 3; i += 1) expect(() => router.resolve(ROUTE, 'gpu', batch)).toThrow(CapacityPendingError);

    // Assess
    expect(router.circuitStates()).toEqual({ gpu: 'closed', bedrock: 'closed', 'bedrock-a': 'closed', 'bedrock-b': 'closed' });
  });
});
