import type { Backend, BackendResolver, ItemResult } from '../batching/types';
import type { BackendRef, ModelCatalogue, ModelEntry } from '../domain/catalogue';
import type { InferenceInput, InferenceOutput } from '../domain/inference';
import { BackendRejectedError, BackendUnavailableError, ModelNotFoundError } from '../errors';
import type { InferenceProvider } from '../providers/types';
import { CircuitBreaker } from './CircuitBreaker';

/** The two kinds of work a route can carry. */
export type RouteKind = ModelEntry['kind'];

/** The route of a model's work in the batching core: `chat:gpt-oss-20b`, `embeddings:bge-m3`. */
export function routeOf(kind: RouteKind, modelId: string): string {
  return `${kind}:${modelId}`;
}

/** Options of the router. */
export interface ModelRouterOptions {
  /** Builds the provider for a catalogue backend; called once per backend id. */
  providerFor: (ref: BackendRef) => InferenceProvider;
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
}

/**
 * Routing from the model catalogue: a public model name maps to an ordered list of
 * backends; the first whose circuit is closed takes the work, and a retry after a fault
 * goes to the next one. It is the batching core's {@link BackendResolver}.
 */
export class ModelRouter implements BackendResolver<InferenceInput, InferenceOutput> {
  private readonly models = new Map<string, ModelEntry>();
  private readonly backends = new Map<string, Backend<InferenceInput, InferenceOutput>>();
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(catalogue: ModelCatalogue, private readonly options: ModelRouterOptions) {
    const providers = new Map<string, InferenceProvider>();
    for (const model of catalogue.models) {
      this.models.set(model.id, model);
      for (const ref of model.backends) {
        const provider = providers.get(ref.id) ?? options.providerFor(ref);
        providers.set(ref.id, provider);
        this.backends.set(backendKey(model, ref), toBackend(model, ref, provider));
        if (!this.breakers.has(ref.id)) {
          this.breakers.set(ref.id, new CircuitBreaker({ failureThreshold: options.failureThreshold, cooldownMs: options.cooldownMs, now: options.now }));
        }
      }
    }
  }

  /** Every model of the catalogue, in catalogue order. */
  listModels(): ModelEntry[] {
    return [...this.models.values()];
  }

  /** The model named `id` serving `kind`, or a 404 naming what was wrong. */
  model(id: string, kind?: RouteKind): ModelEntry {
    const model = this.models.get(id);
    if (!model) throw new ModelNotFoundError(id);
    if (kind && model.kind !== kind) {
      throw new ModelNotFoundError(id, `is ${model.kind === 'chat' ? 'a chat' : 'an embeddings'} model and cannot serve ${kind === 'chat' ? 'chat completions' : 'embeddings'}`);
    }
    return model;
  }

  /** The circuit state of each backend, for health reporting. */
  circuitStates(): Record<string, string> {
    return Object.fromEntries([...this.breakers].map(([id, breaker]) => [id, breaker.state]));
  }

  resolve(route: string, avoid?: string): Backend<InferenceInput, InferenceOutput> {
    const modelId = route.slice(route.indexOf(':') + 1);
    const model = this.models.get(modelId);
    if (!model) throw new BackendRejectedError(`No model '${modelId}' in the catalogue`, { code: 'model_not_found', status: 404 });
    const open = model.backends.filter((ref) => this.breakers.get(ref.id)!.allows());
    const choice = open.find((ref) => ref.id !== avoid) ?? open[0];
    if (!choice) {
      throw new BackendUnavailableError(`Every backend of '${modelId}' is failing and skipped for now (${model.backends.map((b) => b.id).join(', ')})`, { code: 'all_backends_unavailable' });
    }
    this.breakers.get(choice.id)!.onDispatch();
    return this.backends.get(backendKey(model, choice))!;
  }

  record(backendId: string, result: 'success' | 'failure'): void {
    const breaker = this.breakers.get(backendId);
    if (!breaker) return;
    if (result === 'success') breaker.onSuccess();
    else breaker.onFailure();
  }
}

function backendKey(model: ModelEntry, ref: BackendRef): string {
  return `${model.id}|${ref.id}`;
}

/** Adapts a provider to the core's Backend for one model on one backend. */
function toBackend(model: ModelEntry, ref: BackendRef, provider: InferenceProvider): Backend<InferenceInput, InferenceOutput> {
  const limits = { id: ref.id, maxBatchTokens: ref.maxBatchTokens, maxConcurrency: ref.maxConcurrency, expectedLatencyMs: ref.expectedLatencyMs };
  if (model.kind === 'chat') {
    return {
      ...limits,
      // Chat is one request per call on every backend; throughput comes from concurrency.
      maxBatchItems: 1,
      async invoke(inputs, { signal }): Promise<ItemResult<InferenceOutput>[]> {
        return Promise.all(inputs.map(async (input) => {
          if (input.kind !== 'chat') throw new BackendRejectedError(`'${model.id}' is a chat model`);
          const result = await provider.chat({ ...input.call, model: ref.model }, { signal });
          return { ok: true as const, value: { kind: 'chat' as const, result }, usage: result.usage };
        }));
      },
    };
  }
  return {
    ...limits,
    maxBatchItems: Math.max(1, Math.min(ref.maxBatchItems, provider.maxEmbeddingInputs)),
    async invoke(inputs, { signal }): Promise<ItemResult<InferenceOutput>[]> {
      const texts = inputs.map((input) => {
        if (input.kind !== 'embedding') throw new BackendRejectedError(`'${model.id}' is an embeddings model`);
        return input.text;
      });
      const results = await provider.embed(ref.model, texts, { signal });
      return results.map((item) => item.ok ? { ok: true as const, value: { kind: 'embedding' as const, result: item.value }, usage: item.usage } : item);
    },
  };
}
