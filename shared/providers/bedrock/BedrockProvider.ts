import { ConverseCommand, ConverseStreamCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import type { BedrockRuntimeClient, ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import type { ItemResult } from '../../batchingCore/types';
import type { ChatCall, ChatDelta, ChatResult, EmbeddingInput, EmbeddingResult } from '../../domain/inference';
import { BackendRejectedError, BackendUnavailableError } from '../../errors/backendErrors';
import { callSignal } from '../callSignal';
import { streamSignal } from '../streamSignal';
import type { CallOptions, EmbedOptions, InferenceProvider } from '../types';
import type { ServiceTier } from '../../domain/pricing';
import { createBedrockClient } from './createBedrockClient';
import { fromConverseOutput, servedTierOf, toConverseInput, toWireTier } from './converseMapping';
import { converseStreamMapper } from './converseStream';
import { mapBedrockError } from './mapBedrockError';

/** How to build a {@link BedrockProvider}. */
export interface BedrockProviderOptions {
  /** A ready client (tests, or one shared per region); built with {@link createBedrockClient} otherwise. */
  client?: BedrockRuntimeClient;
  region?: string;
  /** Only for local runs and tests: a Bedrock Runtime API stand-in. */
  endpoint?: string;
  /** The catalogue backend id, carried on every error for routing and circuit breaking. */
  backendId?: string;
  /** Longest one call may take before it is abandoned as unavailable. */
  timeoutMs?: number;
  /**
   * Vector size asked of Titan text embeddings v2 (256, 512 or 1024) when a call does
   * not say (`EmbedOptions.dimensions` wins); the model's default when neither does.
   */
  embeddingDimensions?: number;
  /**
   * The on-demand service tier every call asks for (`serviceTier` of Converse, InvokeModel's
   * `X-Amzn-Bedrock-Service-Tier`). Standard (the default) sends nothing, which Bedrock
   * serves as Standard. The wiring sets it per workload (batch work: Flex where the
   * catalogue says the model offers it), so this provider just passes it on.
   */
  serviceTier?: ServiceTier;
}

/** What Titan text embeddings v2 answers. */
interface TitanEmbeddingResponse {
  embedding?: unknown;
  inputTextTokenCount?: unknown;
}

/**
 * Amazon Bedrock: chat through Converse and ConverseStream (one request per generation,
 * any chat model behind one request shape) and embeddings through InvokeModel with Titan text
 * embeddings v2, which takes one input per request.
 */
export class BedrockProvider implements InferenceProvider {
  readonly kind = 'bedrock' as const;
  /** Titan embeds one text per request; the core sends inputs one at a time. */
  readonly maxEmbeddingInputs = 1;
  readonly #client: BedrockRuntimeClient;
  readonly #backendId: string | undefined;
  readonly #timeoutMs: number | undefined;
  readonly #dimensions: number | undefined;
  readonly #tier: ServiceTier;

  constructor(options: BedrockProviderOptions = {}) {
    this.#client = options.client ?? createBedrockClient({ region: options.region, endpoint: options.endpoint });
    this.#backendId = options.backendId;
    this.#timeoutMs = options.timeoutMs;
    this.#dimensions = options.embeddingDimensions;
    this.#tier = options.serviceTier ?? 'standard';
  }

  /**
   * One generation through Converse; throws a BackendError on any failure, and an
   * InvalidRequestError (before calling Bedrock) for a history that cannot be sent.
   */
  async chat(call: ChatCall, options: CallOptions = {}): Promise<ChatResult> {
    const input = toConverseInput(call, this.#tier);
    const output = await this.#send(call.model, options, (abortSignal) => this.#client.send(new ConverseCommand(input), { abortSignal }));
    return { ...fromConverseOutput(output), serviceTier: servedTierOf(output.serviceTier?.type, this.#tier) };
  }

  /**
   * One streamed generation through ConverseStream, its events mapped to deltas (see
   * {@link converseStreamMapper}). A failure to open the stream throws from the first
   * `next()`; an exception inside the stream (throttling, a model error) throws where
   * it arrives; both are mapped by {@link mapBedrockError}. A stream that ends without
   * `messageStop` is a broken backend (BackendUnavailableError). The timeout covers the wait
   * for the first delta only; aborting the caller's signal, or stopping early, aborts the
   * SDK request so Bedrock stops generating.
   */
  async *chatStream(call: ChatCall, options: CallOptions = {}): AsyncGenerator<ChatDelta> {
    const input = toConverseInput(call, this.#tier);
    const stream = streamSignal(this.#timeoutMs, options.signal);
    const context = () => ({ backendId: this.#backendId, modelId: call.model, timedOut: stream.timedOut() });
    const mapper = converseStreamMapper();
    let complete = false;
    try {
      let events: AsyncIterable<ConverseStreamOutput> | undefined;
      try {
        events = (await this.#client.send(new ConverseStreamCommand(input), { abortSignal: stream.signal })).stream;
      } catch (error) {
        throw mapBedrockError(error, context());
      }
      if (events === undefined)
        throw new BackendUnavailableError(`Bedrock answered a stream request for ${call.model} without a stream.`, {
          backendId: this.#backendId,
        });
      let finished = false;
      try {
        for await (const event of events) {
          const delta = mapper.map(event);
          if (delta === undefined) continue;
          if (delta.finishReason !== undefined) finished = true;
          stream.started();
          yield delta;
        }
      } catch (error) {
        throw mapBedrockError(error, context());
      }
      if (!finished) {
        throw new BackendUnavailableError(`Bedrock ended the stream for ${call.model} before the answer was finished.`, {
          backendId: this.#backendId,
        });
      }
      complete = true;
    } finally {
      if (!complete) stream.cancel();
      stream.dispose();
    }
  }

  /**
   * Embeds each input with its own InvokeModel request, in order. An input Bedrock
   * rejects (too long, say) fails alone as an item result; throttling and outages
   * throw, since they concern the whole call and are worth retrying. Titan takes text
   * only: a token-id input fails alone as a BackendRejectedError (routing does not send
   * them here). `options.dimensions` sets the vector size per call.
   */
  async embed(model: string, inputs: EmbeddingInput[], options: EmbedOptions = {}): Promise<ItemResult<EmbeddingResult>[]> {
    const results: ItemResult<EmbeddingResult>[] = [];
    for (const input of inputs) {
      try {
        if (typeof input !== 'string') {
          throw new BackendRejectedError(`Bedrock model ${model} embeds text only, not token ids.`, { backendId: this.#backendId });
        }
        const value = await this.#embedOne(model, input, options);
        results.push({ ok: true, value, usage: value.usage });
      } catch (error) {
        if (!(error instanceof BackendRejectedError)) throw error;
        results.push({ ok: false, error });
      }
    }
    return results;
  }

  async #embedOne(model: string, inputText: string, options: EmbedOptions): Promise<EmbeddingResult> {
    const dimensions = options.dimensions ?? this.#dimensions;
    const body = JSON.stringify({
      inputText,
      ...(dimensions === undefined ? {} : { dimensions }),
      normalize: true,
    });
    const output = await this.#send(model, options, (abortSignal) =>
      this.#client.send(
        new InvokeModelCommand({
          modelId: model,
          contentType: 'application/json',
          accept: 'application/json',
          body,
          ...(this.#tier === 'standard' ? {} : { serviceTier: toWireTier(this.#tier) }),
        }),
        { abortSignal },
      ),
    );
    const parsed = this.#parseTitan(model, output.body);
    return { vector: parsed.vector, usage: { promptTokens: parsed.tokens, completionTokens: 0 } };
  }

  /** Sends with the caller's signal and the call timeout, mapping every failure. */
  async #send<T>(modelId: string, options: CallOptions, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const call = callSignal(this.#timeoutMs, options.signal);
    try {
      return await send(call.signal);
    } catch (error) {
      throw mapBedrockError(error, { backendId: this.#backendId, modelId, timedOut: call.timedOut() });
    }
  }

  /** A body that is not Titan's shape means a broken backend, not a bad input. */
  #parseTitan(model: string, body: Uint8Array | undefined): { vector: number[]; tokens: number } {
    let parsed: TitanEmbeddingResponse | null;
    try {
      parsed = JSON.parse(new TextDecoder().decode(body)) as TitanEmbeddingResponse | null;
    } catch (cause) {
      throw new BackendUnavailableError(`Bedrock returned a body that is not JSON for ${model}.`, { backendId: this.#backendId, cause });
    }
    const { embedding, inputTextTokenCount } = parsed ?? {};
    if (!Array.isArray(embedding) || !embedding.every((x): x is number => typeof x === 'number')) {
      throw new BackendUnavailableError(`Bedrock returned no embedding vector for ${model}.`, { backendId: this.#backendId });
    }
    return { vector: embedding, tokens: typeof inputTextTokenCount === 'number' ? inputTextTokenCount : 0 };
  }
}
