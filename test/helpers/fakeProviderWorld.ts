import { BatchingCore } from '../../shared/batchingCore/BatchingCore';
import { ModelCatalogue } from '../../shared/domain/catalogue';
import type { InferenceInput, InferenceOutput } from '../../shared/domain/inference';
import type { InferenceProvider } from '../../shared/providers/types';
import { ModelRouter } from '../../shared/routing/ModelRouter';

/** Two models on fake GPU backends: chat `chat-a` (2,000-token context, 100 output) and embeddings `embed-b`. */
export const FAKE_CATALOGUE = ModelCatalogue.parse({
  models: [
    {
      id: 'chat-a',
      kind: 'chat',
      contextTokens: 2_000,
      maxOutputTokens: 100,
      backends: [{ provider: 'openai-compatible', id: 'gpu', model: 'served-a', baseUrls: ['http://127.0.0.1:1'] }],
    },
    {
      id: 'embed-b',
      kind: 'embeddings',
      contextTokens: 500,
      backends: [
        { provider: 'openai-compatible', id: 'gpu-embed', model: 'served-b', baseUrls: ['http://127.0.0.1:1'], maxBatchItems: 64 },
      ],
    },
  ],
});

/** What differs between the in-memory worlds' runtimes. */
export interface FakeRuntimeOptions {
  /** Failures before a backend's circuit opens. Default 100 (circuits stay shut unless a test means them to open). */
  failureThreshold?: number;
  /** Attempts per item. Default 3. */
  maxAttempts?: number;
  /** Default 50 ms. */
  deadlineSafetyMs?: number;
}

/**
 * The inference runtime of the in-memory worlds (batch jobs, queue requests, the JSONL
 * corpus): a real router and batching core, as `createInferenceRuntime` wires them, over
 * fake providers made by `makeProvider` (one per backend, kept by backend id so a test
 * can script or inspect it), with 1 ms backoff so retries cost no time.
 */
export function fakeInferenceRuntime<P extends InferenceProvider>(
  catalogue: ModelCatalogue,
  makeProvider: (backendId: string) => P,
  options: FakeRuntimeOptions = {},
): { router: ModelRouter; core: BatchingCore<InferenceInput, InferenceOutput>; providers: Map<string, P> } {
  const providers = new Map<string, P>();
  const router = new ModelRouter(catalogue, {
    providerFor: (ref) => {
      const provider = makeProvider(ref.id);
      providers.set(ref.id, provider);
      return provider;
    },
    failureThreshold: options.failureThreshold ?? 100,
    cooldownMs: 60_000,
  });
  const core = new BatchingCore<InferenceInput, InferenceOutput>(router, {
    baseBackoffMs: 1,
    maxBackoffMs: 1,
    maxAttempts: options.maxAttempts ?? 3,
    deadlineSafetyMs: options.deadlineSafetyMs ?? 50,
  });
  return { router, core, providers };
}
