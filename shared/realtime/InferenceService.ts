import type { BatchingCore } from '../batchingCore/BatchingCore';
import type { Outcome } from '../batchingCore/types';
import type { ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse } from '../domain/chat';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../domain/embeddings';
import type { InferenceInput, InferenceOutput, OpenedChatStream } from '../domain/inference';
import type { ModelEntry } from '../domain/catalogue';
import type { ModelRouter } from '../routing/ModelRouter';
import { chatItems, planChat } from './chatRequests';
import { chatBody, chatChunks } from './chatResponses';
import { outcomeError } from './outcomeErrors';
import { embeddingItems, embeddingsBody } from './embeddingsRequests';
import { observedStream } from './observedStream';
import { ModelListing, type ModelObject } from './ModelListing';

/** How long the caller waits, and how it says it has gone. */
export interface ServeOptions {
  /** When the caller must have its answer (a stream: its last chunk): ms since the epoch. */
  deadline?: number;
  /** Aborted when the caller has gone (the client disconnected). */
  signal?: AbortSignal;
  /** Who asked: reported to the {@link RequestObserver} (metadata, never a metric dimension). */
  tenantId?: string;
  /**
   * Admission of the request once it is checked and its tokens estimated, before any
   * backend is called (rate limits and budget; it throws to refuse). What it returns is
   * called once with the tokens the request used when they are known (0 when it failed),
   * so the estimate can be settled.
   */
  admit?: (estimatedTokens: number) => Promise<SettleTokens>;
}

/** Settles an admitted request's token estimate with its real use. */
export type SettleTokens = (tokens: number) => void;

/** What the service reports of each request it ran through the core. */
export interface RequestReport {
  modelId: string;
  kind: 'chat' | 'chatStream' | 'embeddings';
  /** The backend that served it (the first item's, for embeddings); none when it failed. */
  backendId?: string;
  /** Time in the core: to the whole answer, or to the first piece of a stream. */
  latencyMs: number;
  ok: boolean;
  /** The error code of a request that was not served. */
  code?: string;
  tenantId?: string;
  /** Tokens of a served request, as its backend counted them (a stream's come later, in `onStreamUsage`). */
  inputTokens?: number;
  outputTokens?: number;
}

/** The service's observation port: per-request metrics live behind it. Must not throw. */
export interface RequestObserver {
  onRequest(report: RequestReport): void;
  /** A streamed answer ended: the tokens its backend reported (the core counted none at its opening). */
  onStreamUsage?(report: { modelId: string; backendId: string; inputTokens: number; outputTokens: number; tenantId?: string }): void;
}

/**
 * The real-time inference use cases: validate a request against its model, run it
 * through the batching core (routing, fallback, retries, deadline) and shape the
 * OpenAI-compatible response.
 */
export class InferenceService {
  constructor(
    private readonly router: ModelRouter,
    private readonly core: BatchingCore<InferenceInput, InferenceOutput>,
    private readonly now: () => number = Date.now,
    private readonly observer?: RequestObserver,
  ) {}

  /** `POST /v1/chat/completions`. */
  async chatCompletion(request: ChatCompletionRequest, options: ServeOptions = {}): Promise<ChatCompletionResponse> {
    const model = this.router.model(request.model, 'chat');
    const items = chatItems(request, model);
    const settle = await this.#admit(items, options);
    const started = this.now();
    const [outcome] = await settledRun(this.core.run(items, options), settle);
    this.#report('chat', model, started, [outcome!], options);
    return chatBody(outcome!, model, { created: Math.floor(this.now() / 1000) });
  }

  /**
   * `POST /v1/chat/completions` with `stream: true`. Resolves once the backend has sent
   * its first piece, so every failure before that (retries and fallback included) is
   * thrown as an ordinary error; the chunks follow as they come. Once a token has gone
   * out, a failure is thrown from the iteration and is never retried. The caller's
   * signal or the deadline ends the backend call.
   */
  async chatCompletionStream(request: ChatCompletionRequest, options: ServeOptions = {}): Promise<AsyncIterable<ChatCompletionChunk>> {
    const model = this.router.model(request.model, 'chat');
    const plan = planChat(request, model);
    const signals = [
      options.signal,
      options.deadline === undefined ? undefined : AbortSignal.timeout(Math.max(0, options.deadline - this.now())),
    ];
    const live = signals.filter((s): s is AbortSignal => s !== undefined);
    const signal = live.length > 0 ? AbortSignal.any(live) : undefined;
    const settle = options.admit ? await options.admit(plan.estimatedTokens) : undefined;
    const started = this.now();
    const [outcome] = await this.core
      .run(
        [
          {
            id: '0',
            route: plan.route,
            estimatedTokens: plan.estimatedTokens,
            input: { kind: 'chatStream', call: plan.call, signal },
          },
        ],
        options,
      )
      .catch((error: unknown) => {
        settle?.(0);
        throw error;
      });
    this.#report('chatStream', model, started, [outcome!], options);
    if (outcome!.status !== 'succeeded' || outcome!.value.kind !== 'chatStream') settle?.(0);
    if (outcome!.status !== 'succeeded') throw outcomeError(outcome!, model.id);
    if (outcome!.value.kind !== 'chatStream') throw new Error(`backend returned ${outcome!.value.kind} for a streamed chat request`);
    const stream = this.#observed(outcome!.value.stream, model.id, outcome!.backendId, options.tenantId, settle);
    return chatChunks(stream, model, {
      created: Math.floor(this.now() / 1000),
      includeUsage: request.stream_options?.include_usage === true,
      responseFormat: request.response_format,
    });
  }

  /** `POST /v1/embeddings`: the inputs go through the core together, so a backend that takes lists gets one call. */
  async embeddings(request: EmbeddingsRequest, options: ServeOptions = {}): Promise<EmbeddingsResponse> {
    const model = this.router.model(request.model, 'embeddings');
    const items = embeddingItems(request, model);
    const settle = await this.#admit(items, options);
    const started = this.now();
    const outcomes = await settledRun(this.core.run(items, options), settle);
    this.#report('embeddings', model, started, outcomes, options);
    return embeddingsBody(outcomes, request, model);
  }

  /** Admits the items' estimated tokens, when the caller asked for admission. */
  async #admit(items: readonly { estimatedTokens: number }[], options: ServeOptions): Promise<SettleTokens | undefined> {
    if (!options.admit) return undefined;
    return options.admit(items.reduce((sum, item) => sum + item.estimatedTokens, 0));
  }

  /** The stream, reporting its tokens to the observer, and settling its admission, when it ends. */
  #observed(
    stream: OpenedChatStream,
    modelId: string,
    backendId: string,
    tenantId: string | undefined,
    settle: SettleTokens | undefined,
  ): OpenedChatStream {
    const observer = this.observer;
    if (!observer?.onStreamUsage && !settle) return stream;
    return observedStream(stream, (usage) => {
      // A stream without a usage report keeps its estimate: what it used is not known.
      settle?.(usage ? usage.promptTokens + usage.completionTokens : Number.NaN);
      if (!usage || !observer?.onStreamUsage) return;
      try {
        observer.onStreamUsage!({
          modelId,
          backendId,
          inputTokens: usage.promptTokens,
          outputTokens: usage.completionTokens,
          ...(tenantId !== undefined ? { tenantId } : {}),
        });
      } catch {
        // Observation is best effort.
      }
    });
  }

  /** Tells the observer how a request went: served when every item was. */
  #report(
    kind: RequestReport['kind'],
    model: ModelEntry,
    started: number,
    outcomes: Outcome<InferenceOutput>[],
    options: ServeOptions,
  ): void {
    if (!this.observer) return;
    const unserved = outcomes.find((outcome) => outcome.status !== 'succeeded');
    const served = outcomes.find((outcome) => outcome.status === 'succeeded');
    const code =
      unserved === undefined
        ? undefined
        : unserved.status === 'failed'
          ? unserved.error.code
          : unserved.reason === 'deadline'
            ? 'deadline_exceeded'
            : 'cancelled';
    try {
      this.observer.onRequest({
        modelId: model.id,
        kind,
        backendId: unserved === undefined && served?.status === 'succeeded' ? served.backendId : undefined,
        latencyMs: this.now() - started,
        ok: unserved === undefined,
        ...(code !== undefined ? { code } : {}),
        ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
        ...(unserved === undefined ? tokensOf(outcomes) : {}),
      });
    } catch {
      // Observation is best effort.
    }
  }

  /** `GET /v1/models`. */
  listModels(): { object: 'list'; data: ModelObject[] } {
    return new ModelListing(this.router).listModels();
  }

  /** `GET /v1/models/{model}`. */
  getModel(id: string): ModelObject {
    return new ModelListing(this.router).getModel(id);
  }
}

/** The tokens of served outcomes, summed. */
function tokensOf(outcomes: Outcome<InferenceOutput>[]): { inputTokens: number; outputTokens: number } {
  let inputTokens = 0;
  let outputTokens = 0;
  for (const outcome of outcomes) {
    if (outcome.status !== 'succeeded') continue;
    inputTokens += outcome.usage.promptTokens;
    outputTokens += outcome.usage.completionTokens;
  }
  return { inputTokens, outputTokens };
}

/** The core's outcomes, settling the admission with the tokens of those served (0 for none, or a thrown run). */
async function settledRun<T extends Outcome<InferenceOutput>[]>(run: Promise<T>, settle: SettleTokens | undefined): Promise<T> {
  if (!settle) return run;
  try {
    const outcomes = await run;
    const { inputTokens, outputTokens } = tokensOf(outcomes);
    settle(inputTokens + outputTokens);
    return outcomes;
  } catch (error) {
    settle(0);
    throw error;
  }
}
