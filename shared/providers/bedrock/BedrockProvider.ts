import { ConverseCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { ItemResult } from '../../batching/types';
import type { ChatCall, ChatResult, EmbeddingResult } from '../../domain/inference';
import { BackendRejectedError, BackendUnavailableError } from '../../errors';
import { callSignal } from '../callSignal';
import type { CallOptions, InferenceProvider } from '../types';
import { createBedrockClient } from './createBedrockClient';
import { fromConverseOutput, toConverseInput } from './converseMapping';
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
  /** Vector size asked of Titan text embeddings v2 (256, 512 or 1024); the model's default when absent. */
  embeddingDimensions?: number;
}

/** What Titan text embeddings v2 answers. */
interface TitanEmbeddingResponse {
  embedding?: unknown;
  inputTextTokenCount?: unknown;
}

/**
 * Amazon Bedrock: chat through Converse (one request per generation, any chat model
 * behind one request shape) and embeddings through InvokeModel with Titan text
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

  constructor(options: BedrockProviderOptions = {}) {
    this.#client = options.client ?? createBedrockClient({ region: options.region, endpoint: options.endpoint });
    this.#backendId = options.backendId;
    this.#timeoutMs = options.timeoutMs;
    this.#dimensions = options.embeddingDimensions;
  }

  /** One generation through Converse; throws a BackendError on any failure. */
  async chat(call: ChatCall, options: CallOptions = {}): Promise<ChatResult> {
    const output = await this.#send(call.model, options, (abortSignal) =>
      this.#client.send(new ConverseCommand(toConverseInput(call)), { abortSignal }));
    return fromConverseOutput(output);
  }

  /**
   * Embeds each input with its own InvokeModel request, in order. An input Bedrock
   * rejects (too long, say) fails alone as an item result; throttling and outages
   * throw, since they concern the whole call and are worth retrying.
   */
  async embed(model: string, inputs: string[], options: CallOptions = {}): Promise<ItemResult<EmbeddingResult>[]> {
    const results: ItemResult<EmbeddingResult>[] = [];
    for (const input of inputs) {
      try {
        const value = await this.#embedOne(model, input, options);
        results.push({ ok: true, value, usage: value.usage });
      } catch (error) {
        if (!(error instanceof BackendRejectedError)) throw error;
        results.push({ ok: false, error });
      }
    }
    return results;
  }

  async #embedOne(model: string, inputText: string, options: CallOptions): Promise<EmbeddingResult> {
    const body = JSON.stringify({
      inputText,
      ...(this.#dimensions === undefined ? {} : { dimensions: this.#dimensions }),
      normalize: true,
    });
    const output = await this.#send(model, options, (abortSignal) =>
      this.#client.send(
        new InvokeModelCommand({ modelId: model, contentType: 'application/json', accept: 'application/json', body }),
        { abortSignal },
      ));
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
