import type { ChatCall, ChatDelta, ChatResult, EmbeddingInput, EmbeddingResult } from '../domain/inference';
import type { ItemResult } from '../batchingCore/types';

/** Options of one provider call. */
export interface CallOptions {
  /** Aborts the call (deadline, shutdown, caller gone). */
  signal?: AbortSignal;
}

/** Options of one embeddings call. */
export interface EmbedOptions extends CallOptions {
  /** Vector size asked for; the model's native size when absent. */
  dimensions?: number;
}

/**
 * An inference provider: one way to reach models (Bedrock, an OpenAI-compatible
 * endpoint pool). Failures are thrown as the BackendError subclasses of
 * `shared/errors`, so callers never see a provider's own error types.
 */
export interface InferenceProvider {
  /** Which wire this provider speaks, for logs. */
  readonly kind: 'bedrock' | 'openai-compatible';
  /**
   * Most inputs one embeddings call carries: a list of inputs goes out as one request
   * where the backend takes lists (vLLM, TGI), one per call where it does not (Titan).
   */
  readonly maxEmbeddingInputs: number;
  /** One chat generation (chat is one request per call on every backend). */
  chat(call: ChatCall, options?: CallOptions): Promise<ChatResult>;
  /**
   * One streamed chat generation. A failure before the first piece is thrown from the
   * first `next()` as a BackendError (so it can be retried elsewhere); a failure later
   * is thrown from the `next()` where it happens. Aborting the signal ends the stream
   * and the backend call. The per-call timeout applies until the first piece.
   */
  chatStream(call: ChatCall, options?: CallOptions): AsyncIterable<ChatDelta>;
  /** Embeds `inputs` (at most `maxEmbeddingInputs`) in one call, one result per input, in order. */
  embed(model: string, inputs: EmbeddingInput[], options?: EmbedOptions): Promise<ItemResult<EmbeddingResult>[]>;
}
