import type { Backend, BackendResolver, ItemResult } from '../batching/types';
import { servesRequirement, type BackendRef, type BackendRequirement, type ModelCatalogue, type ModelEntry } from '../domain/catalogue';
import type { InferenceInput, InferenceOutput, OpenedChatStream } from '../domain/inference';
import { checkStructuredOutput } from '../domain/structuredOutput';
import { BackendRejectedError, BackendUnavailableError, ModelNotFoundError } from '../errors';
import type { InferenceProvider } from '../providers/types';
import { CircuitBreaker } from './CircuitBreaker';

/** The two kinds of work a route can carry. */
export type RouteKind = ModelEntry['kind'];

/**
 * The route of a model's work in the batching core: `chat:gpt-oss-20b`,
 * `embeddings:bge-m3`, and after a `|` what the serving backend must support
 * (`chat:gpt-oss-20b|seed`, `embeddings:titan-embed-text-v2|dimensions=256`). Items
 * of different routes never share a call, so one call never mixes requirements.
 */
export function routeOf(kind: RouteKind, modelId: string, requirements: readonly BackendRequirement[] = []): string {
  const base = `${kind}:${modelId}`;
  return requirements.length === 0 ? base : `${base}|${[...requirements].sort().join(',')}`;
}

/** The model and requirements of a route made by {@link routeOf}. */
export function parseRoute(route: string): { modelId: string; requirements: BackendRequirement[] } {
  const rest = route.slice(route.indexOf(':') + 1);
  const bar = rest.indexOf('|');
  if (bar < 0) return { modelId: rest, requirements: [] };
  return { modelId: rest.slice(0, bar), requirements: rest.slice(bar + 1).split(',') as BackendRequirement[] };
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

  constructor(
    catalogue: ModelCatalogue,
    private readonly options: ModelRouterOptions,
  ) {
    const providers = new Map<string, InferenceProvider>();
    for (const model of catalogue.models) {
      this.models.set(model.id, model);
      for (const ref of model.backends) {
        const provider = providers.get(ref.id) ?? options.providerFor(ref);
        providers.set(ref.id, provider);
        this.backends.set(backendKey(model, ref), toBackend(model, ref, provider));
        if (!this.breakers.has(ref.id)) {
          this.breakers.set(
            ref.id,
            new CircuitBreaker({ failureThreshold: options.failureThreshold, cooldownMs: options.cooldownMs, now: options.now }),
          );
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
      throw new ModelNotFoundError(
        id,
        `is ${model.kind === 'chat' ? 'a chat' : 'an embeddings'} model and cannot serve ${kind === 'chat' ? 'chat completions' : 'embeddings'}`,
      );
    }
    return model;
  }

  /** The circuit state of each backend, for health reporting. */
  circuitStates(): Record<string, string> {
    return Object.fromEntries([...this.breakers].map(([id, breaker]) => [id, breaker.state]));
  }

  resolve(route: string, avoid?: string): Backend<InferenceInput, InferenceOutput> {
    const { modelId, requirements } = parseRoute(route);
    const model = this.models.get(modelId);
    if (!model) throw new BackendRejectedError(`No model '${modelId}' in the catalogue`, { code: 'model_not_found', status: 404 });
    const able = model.backends.filter((ref) => requirements.every((requirement) => servesRequirement(ref, requirement)));
    if (able.length === 0) {
      throw new BackendRejectedError(`No backend of '${modelId}' serves ${requirements.join(', ')}`, { code: 'unsupported_parameter' });
    }
    const open = able.filter((ref) => this.breakers.get(ref.id)!.allows());
    const choice = open.find((ref) => ref.id !== avoid) ?? open[0];
    if (!choice) {
      throw new BackendUnavailableError(
        `Every backend of '${modelId}' is failing and skipped for now (${able.map((b) => b.id).join(', ')})`,
        { code: 'all_backends_unavailable' },
      );
    }
    this.breakers.get(choice.id)!.onDispatch();
    return this.backends.get(backendKey(model, choice))!;
  }

  hasFallback(route: string, backendId: string): boolean {
    const { modelId, requirements } = parseRoute(route);
    const model = this.models.get(modelId);
    if (!model) return false;
    return model.backends.some(
      (ref) =>
        ref.id !== backendId &&
        requirements.every((requirement) => servesRequirement(ref, requirement)) &&
        this.breakers.get(ref.id)!.allows(),
    );
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
  const limits = {
    id: ref.id,
    maxBatchTokens: ref.maxBatchTokens,
    maxConcurrency: ref.maxConcurrency,
    expectedLatencyMs: ref.expectedLatencyMs,
  };
  if (model.kind === 'chat') {
    return {
      ...limits,
      // Chat is one request per call on every backend; throughput comes from concurrency.
      maxBatchItems: 1,
      async invoke(inputs, { signal }): Promise<ItemResult<InferenceOutput>[]> {
        return Promise.all(
          inputs.map(async (input): Promise<ItemResult<InferenceOutput>> => {
            if (input.kind === 'chatStream') {
              const stream = await openChatStream(provider, { ...input.call, model: ref.model }, signal, input.signal);
              return { ok: true, value: { kind: 'chatStream', stream }, usage: { promptTokens: 0, completionTokens: 0 } };
            }
            if (input.kind !== 'chat') throw new BackendRejectedError(`'${model.id}' is a chat model`);
            const result = await provider.chat({ ...input.call, model: ref.model }, { signal });
            // A strict schema broken is a bad answer, not a success: retried like any bad answer.
            const structured =
              result.finishReason === 'stop' ? checkStructuredOutput(input.call.responseFormat, result.content) : { ok: true as const };
            if (!structured.ok) {
              throw new BackendUnavailableError(`The answer of ${ref.id} does not have the requested format: ${structured.reason}.`, {
                backendId: ref.id,
                code: 'bad_backend_response',
              });
            }
            return { ok: true, value: { kind: 'chat', result }, usage: result.usage };
          }),
        );
      },
    };
  }
  return {
    ...limits,
    maxBatchItems: Math.max(1, Math.min(ref.maxBatchItems, provider.maxEmbeddingInputs)),
    async invoke(inputs, { signal }): Promise<ItemResult<InferenceOutput>[]> {
      const texts = inputs.map((input) => {
        if (input.kind !== 'embedding') throw new BackendRejectedError(`'${model.id}' is an embeddings model`);
        return input.input;
      });
      // One route, one requirement set: every item of a call asks the same size.
      const dimensions = inputs[0]?.kind === 'embedding' ? inputs[0].dimensions : undefined;
      const results = await provider.embed(ref.model, texts, { signal, dimensions });
      return results.map((item) =>
        item.ok ? { ok: true as const, value: { kind: 'embedding' as const, result: item.value }, usage: item.usage } : item,
      );
    },
  };
}

/**
 * Opens a provider stream and waits for its first piece. Until then the core's call
 * signal governs it (deadline, retries, fallback); afterwards only the caller's own
 * signal does, since the core has let go of the item and its signal is done.
 */
async function openChatStream(
  provider: InferenceProvider,
  call: Parameters<InferenceProvider['chatStream']>[0],
  coreSignal: AbortSignal,
  callerSignal: AbortSignal | undefined,
): Promise<OpenedChatStream> {
  const controller = new AbortController();
  const abort = () => controller.abort(coreSignal.reason ?? callerSignal?.reason);
  coreSignal.addEventListener('abort', abort, { once: true });
  callerSignal?.addEventListener('abort', () => controller.abort(callerSignal.reason), { once: true });
  if (coreSignal.aborted || callerSignal?.aborted) abort();
  const iterator = provider.chatStream(call, { signal: controller.signal })[Symbol.asyncIterator]();
  try {
    const first = await iterator.next();
    return { first: first.done ? [] : [first.value], rest: iterator };
  } catch (error) {
    controller.abort();
    throw error;
  } finally {
    coreSignal.removeEventListener('abort', abort);
  }
}
