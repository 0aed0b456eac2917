import type { Backend, BackendResolver, ItemResult, ResolveContext } from '../batchingCore/types';
import { decideBatchOverflow, DEFAULT_STARTUP_SECONDS } from '../fleet/batchOverflow';
import {
  fleetConcurrencyOf,
  servesRequirement,
  type BackendRef,
  type BackendRequirement,
  type ModelCatalogue,
  type ModelEntry,
} from '../domain/catalogue';
import type { ChatCall, ChatDelta, ChatResult, InferenceInput, InferenceOutput, OpenedChatStream } from '../domain/inference';
import { checkStructuredOutput } from '../domain/structuredOutput';
import { BackendRejectedError, BackendUnavailableError, CapacityPendingError } from '../errors/backendErrors';
import type { InferenceProvider } from '../providers/types';
import { CircuitBreaker } from './CircuitBreaker';
import { ModelDirectory, type RouteKind } from './ModelDirectory';

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
  /**
   * A call running this many times its backend's `expectedLatencyMs` (and at least
   * {@link MIN_SLOW_CALL_MS}) is slow; `failureThreshold` slow calls at once, with none
   * finished meanwhile, open the circuit (CircuitBreaker's `slowCallMs`). Default
   * {@link SLOW_CALL_FACTOR}; 0 turns it off.
   */
  slowCallFactor?: number;
  now?: () => number;
  /** Told of fallbacks and circuit changes (metrics, logs); optional. */
  observer?: RoutingObserver;
}

/** Default of {@link ModelRouterOptions.slowCallFactor}: far beyond the expected latency, well short of the calls' timeouts. */
export const SLOW_CALL_FACTOR = 10;
/** Shortest time a call runs before it may count as slow. */
export const MIN_SLOW_CALL_MS = 5_000;

/** Why a call went to another backend than the model's first. */
export type FallbackReason = 'circuit_open' | 'retry';

/**
 * The router's observation port: what an operator wants to know of routing. Adapters
 * (shared/observability) turn it into metrics and WARN lines; it must not throw.
 */
export interface RoutingObserver {
  /** A call of `modelId` went to `to` instead of its first backend `from`. */
  onFallback?(event: { modelId: string; from: string; to: string; reason: FallbackReason }): void;
  /** The circuit of a backend opened or closed. */
  onCircuit?(event: { backendId: string; state: 'open' | 'closed' }): void;
}

/**
 * Routing from the model catalogue: a public model name maps to an ordered list of
 * backends; the first whose circuit is closed takes the work, and a retry after a fault
 * goes to the next one. It is the batching core's {@link BackendResolver}.
 */
export class ModelRouter implements BackendResolver<InferenceInput, InferenceOutput> {
  private readonly directory: ModelDirectory;
  private readonly backends = new Map<string, Backend<InferenceInput, InferenceOutput>>();
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    catalogue: ModelCatalogue,
    private readonly options: ModelRouterOptions,
  ) {
    this.directory = new ModelDirectory(catalogue);
    const providers = new Map<string, InferenceProvider>();
    for (const model of catalogue.models) {
      for (const ref of model.backends) {
        const provider = providers.get(ref.id) ?? options.providerFor(ref);
        providers.set(ref.id, provider);
        if (!this.breakers.has(ref.id)) {
          const onChange = (state: 'open' | 'closed') => notify(() => options.observer?.onCircuit?.({ backendId: ref.id, state }));
          const factor = options.slowCallFactor ?? SLOW_CALL_FACTOR;
          this.breakers.set(
            ref.id,
            new CircuitBreaker({
              failureThreshold: options.failureThreshold,
              cooldownMs: options.cooldownMs,
              ...(factor > 0 ? { slowCallMs: Math.max(MIN_SLOW_CALL_MS, factor * ref.expectedLatencyMs) } : {}),
              now: options.now,
              onChange,
            }),
          );
        }
        this.backends.set(
          backendKey(model, ref),
          tracked(
            toBackend(model, ref, provider, (backendId) => this.record(backendId, 'failure')),
            this.breakers.get(ref.id)!,
          ),
        );
      }
    }
  }

  /** Every model of the catalogue, in catalogue order. */
  listModels(): ModelEntry[] {
    return this.directory.listModels();
  }

  /** The model named `id` serving `kind`, or a 404 naming what was wrong (see {@link ModelDirectory}). */
  model(id: string, kind?: RouteKind): ModelEntry {
    return this.directory.model(id, kind);
  }

  /** The circuit state of each backend, for health reporting. */
  circuitStates(): Record<string, string> {
    return Object.fromEntries([...this.breakers].map(([id, breaker]) => [id, breaker.state]));
  }

  resolve(route: string, avoid?: string, context?: ResolveContext): Backend<InferenceInput, InferenceOutput> {
    const { modelId, requirements } = parseRoute(route);
    const model = this.directory.get(modelId);
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
        {
          code: 'all_backends_unavailable',
          retryAfterMs: Math.min(...able.map((ref) => this.breakers.get(ref.id)!.msUntilAllowed())),
        },
      );
    }
    const first = able[0]!;
    if (choice.id !== first.id) this.#keepForPool(modelId, first, context);
    this.breakers.get(choice.id)!.onDispatch();
    if (choice.id !== first.id) {
      const reason: FallbackReason = this.breakers.get(first.id)!.allows() ? 'retry' : 'circuit_open';
      notify(() => this.options.observer?.onFallback?.({ modelId, from: first.id, to: choice.id, reason }));
    }
    return this.backends.get(backendKey(model, choice))!;
  }

  /**
   * Batch work about to leave its GPU pool for the fallback because the pool's circuit is
   * open (no healthy server: scaling up from zero, or down): kept for the pool, with a
   * {@link CapacityPendingError}, when its deadline allows waiting for the pool's start-up
   * ({@link decideBatchOverflow}). One failed call is not a pool without capacity (a pool
   * has many servers, and the circuit judges the pool): until the circuit opens, work
   * retries and falls back as before. A pool that is full but serving makes batch wait in
   * the core's limiter, not here. Real-time work, and work with no deadline given, falls back.
   */
  #keepForPool(modelId: string, first: BackendRef, context: ResolveContext | undefined): void {
    if (first.provider !== 'openai-compatible' || context?.priority !== 'batch' || context.completesBy === undefined) return;
    if (this.breakers.get(first.id)!.allows()) return;
    const decision = decideBatchOverflow({
      nowMs: (this.options.now ?? Date.now)(),
      deadlineMs: context.completesBy,
      pool: 'down',
      timeToCapacitySeconds: first.startupSeconds ?? DEFAULT_STARTUP_SECONDS,
    });
    if (decision !== 'wait') return;
    throw new CapacityPendingError(
      `The GPU pool of '${modelId}' has no capacity now; the batch work waits for it (its deadline allows) rather than go to ${first.id}'s fallback`,
      { backendId: first.id },
    );
  }

  hasFallback(route: string, backendId: string): boolean {
    const { modelId, requirements } = parseRoute(route);
    const model = this.directory.get(modelId);
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

/** Runs an observer hook; what it throws never reaches routing. */
function notify(hook: () => void): void {
  try {
    hook();
  } catch {
    // Observation is best effort.
  }
}

/** The backend with each call's start and end told to its circuit, which watches for calls that hang. */
function tracked(backend: Backend<InferenceInput, InferenceOutput>, breaker: CircuitBreaker): Backend<InferenceInput, InferenceOutput> {
  return {
    ...backend,
    async invoke(inputs, options) {
      const token = breaker.callStarted();
      try {
        return await backend.invoke(inputs, options);
      } finally {
        breaker.callEnded(token);
      }
    },
  };
}

function backendKey(model: ModelEntry, ref: BackendRef): string {
  return `${model.id}|${ref.id}`;
}

/** Adapts a provider to the core's Backend for one model on one backend. */
function toBackend(
  model: ModelEntry,
  ref: BackendRef,
  provider: InferenceProvider,
  onStreamFailure: (backendId: string) => void,
): Backend<InferenceInput, InferenceOutput> {
  const limits = {
    id: ref.id,
    maxBatchTokens: ref.maxBatchTokens,
    maxConcurrency: ref.maxConcurrency,
    fleetConcurrency: fleetConcurrencyOf(ref),
    expectedConcurrency: ref.expectedConcurrency,
    serverSlots: ref.serverSlots,
    expectedLatencyMs: ref.expectedLatencyMs,
  };
  if (model.kind === 'chat') {
    /** One chat input's call and result. */
    async function one(input: InferenceInput, signal: AbortSignal | undefined): Promise<ItemResult<InferenceOutput>> {
      if (input.kind === 'chatStream') {
        const stream = await openChatStream(provider, { ...input.call, model: ref.model }, signal, input.signal, () =>
          onStreamFailure(ref.id),
        );
        return { ok: true, value: { kind: 'chatStream', stream }, usage: { promptTokens: 0, completionTokens: 0 } };
      }
      if (input.kind !== 'chat') throw new BackendRejectedError(`'${model.id}' is a chat model`);
      const result = await provider.chat({ ...input.call, model: ref.model }, { signal });
      // A broken format is a bad answer, retried like one; but as an item's result, not a
      // failed call: the backend answered, so its circuit is not charged (a request could
      // otherwise open every circuit of a model on purpose).
      const structured = structuredAnswer(input.call, result);
      if (!structured.ok) {
        const error = new BackendUnavailableError(`The answer of ${ref.id} does not have the requested format: ${structured.reason}.`, {
          backendId: ref.id,
          code: 'bad_backend_response',
        });
        return { ok: false, error };
      }
      return { ok: true, value: { kind: 'chat', result }, usage: result.usage };
    }
    return {
      ...limits,
      // Chat is one request per call on every backend; throughput comes from concurrency.
      maxBatchItems: 1,
      invoke(inputs, { signal }): Promise<ItemResult<InferenceOutput>[]> {
        // One input per call (maxBatchItems 1): no Promise.all around a single answer.
        if (inputs.length === 1) return one(inputs[0]!, signal).then((result) => [result]);
        return Promise.all(inputs.map((input) => one(input, signal)));
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
 * Whether a finished answer has the shape its request asked for. Not checked when the
 * model called tools (the answer is the calls) or when the caller's `stop` sequences may
 * have cut the text short on purpose.
 */
function structuredAnswer(call: Omit<ChatCall, 'model'>, result: ChatResult): { ok: true } | { ok: false; reason: string } {
  if (result.finishReason !== 'stop' || (result.toolCalls?.length ?? 0) > 0 || (call.stop?.length ?? 0) > 0) return { ok: true };
  return checkStructuredOutput(call.responseFormat, result.content);
}

/**
 * Opens a provider stream and waits for its first piece. Until then the core's call
 * signal governs it (deadline, retries, fallback); afterwards only the caller's own
 * signal does, since the core has let go of the item and its signal is done. A stream
 * that ends without any piece is a broken backend (retried), and a failure after the
 * first piece is reported through `onLateFailure`, so a backend that always dies
 * mid-answer still opens its circuit.
 */
async function openChatStream(
  provider: InferenceProvider,
  call: Parameters<InferenceProvider['chatStream']>[0],
  coreSignal: AbortSignal | undefined,
  callerSignal: AbortSignal | undefined,
  onLateFailure: () => void,
): Promise<OpenedChatStream> {
  const controller = new AbortController();
  const abort = () => controller.abort(coreSignal?.reason ?? callerSignal?.reason);
  const callerGone = () => controller.abort(callerSignal?.reason);
  coreSignal?.addEventListener('abort', abort, { once: true });
  callerSignal?.addEventListener('abort', callerGone, { once: true });
  const detach = () => callerSignal?.removeEventListener('abort', callerGone);
  if (coreSignal?.aborted || callerSignal?.aborted) abort();
  const iterator = provider.chatStream(call, { signal: controller.signal })[Symbol.asyncIterator]();
  try {
    const first = await iterator.next();
    if (first.done)
      throw new BackendUnavailableError('The backend ended its stream without a single piece.', { code: 'bad_backend_response' });
    return { first: [first.value], rest: lateStream(iterator, controller, callerSignal, onLateFailure, detach) };
  } catch (error) {
    controller.abort();
    detach();
    throw error;
  } finally {
    coreSignal?.removeEventListener('abort', abort);
  }
}

/** The rest of a stream: ends the backend call when the reader stops, and reports a backend's own late failure. */
function lateStream(
  iterator: AsyncIterator<ChatDelta>,
  controller: AbortController,
  callerSignal: AbortSignal | undefined,
  onLateFailure: () => void,
  detach: () => void,
): AsyncIterator<ChatDelta> {
  return {
    async next() {
      try {
        const next = await iterator.next();
        if (next.done) detach();
        return next;
      } catch (error) {
        detach();
        if (!callerSignal?.aborted) onLateFailure();
        throw error;
      }
    },
    async return() {
      controller.abort();
      detach();
      await iterator.return?.();
      return { done: true, value: undefined };
    },
  };
}
