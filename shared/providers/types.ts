import type { ChatCall, ChatResult, EmbeddingResult } from '../domain/inference';
import type { ItemResult } from '../batching/types';

/** Options of one provider call. */
export interface CallOptions {
  /** Aborts the call (deadline, shutdown). */
  signal?: AbortSignal;
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
  /** Embeds `inputs` (at most `maxEmbeddingInputs`) in one call, one result per input, in order. */
  embed(model: string, inputs: string[], options?: CallOptions): Promise<ItemResult<EmbeddingResult>[]>;
}
