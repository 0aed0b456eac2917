import type {
  ChatMessage,
  FinishReason,
  ReasoningEffort,
  ResponseFormat,
  ToolCall,
  ToolCallDelta,
  ToolChoice,
  ToolDefinition,
} from './chat';

/** Tokens a call consumed, as the backend reported them. */
export interface Usage {
  promptTokens: number;
  /** Every generated token, reasoning included (as OpenAI counts `completion_tokens`). */
  completionTokens: number;
  /** The part of `completionTokens` spent on reasoning, where the backend says. */
  reasoningTokens?: number;
  /** The part of `promptTokens` read from the backend's prompt cache, where it says (vLLM's prefix cache, Bedrock's cacheReadInputTokens). */
  cachedTokens?: number;
}

/**
 * Request features only some backends serve. A request that uses one is routed only to
 * backends that list it (catalogue `features`), so a fallback never silently drops it.
 */
export type ChatFeature = 'seed' | 'penalties' | 'logprobs' | 'logit_bias';

/** One chat generation as a provider receives it: the backend's model name, already mapped. */
export interface ChatCall {
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  logitBias?: Record<string, number>;
  logprobs?: boolean;
  topLogprobs?: number;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  reasoningEffort?: ReasoningEffort;
  /** The caller's end-user id (`user`, `safety_identifier`), for the backend's abuse monitoring and logs. */
  user?: string;
  /** Caller's key-value tags (`metadata`): Bedrock's `requestMetadata`, vLLM ignores them. */
  metadata?: Record<string, string>;
}

/** What a provider returns for one chat generation. */
export interface ChatResult {
  /** The answer text; null when the model only called tools. */
  content: string | null;
  /** The reasoning text of a reasoning model, when the backend returns it. */
  reasoning?: string;
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** Token log probabilities in OpenAI's `choices[].logprobs` shape (GPU backends, when asked). */
  logprobs?: unknown;
  /** Bedrock only: the on-demand service tier the answer was served in, for its price. */
  serviceTier?: 'standard' | 'flex' | 'priority';
}

/**
 * One piece of a streamed generation. Providers yield these in order; a piece may carry
 * several fields. `finishReason` comes once, on the last content piece; `usage` once, at
 * the end.
 */
export interface ChatDelta {
  content?: string;
  reasoning?: string;
  toolCalls?: ToolCallDelta[];
  finishReason?: FinishReason;
  usage?: Usage;
  logprobs?: unknown;
}

/** A chat stream whose first piece has arrived: the backend has accepted and started answering. */
export interface OpenedChatStream {
  /** The pieces read so far (at least one). */
  first: ChatDelta[];
  /** The rest; it stops when the caller's signal aborts. */
  rest: AsyncIterator<ChatDelta>;
}

/** One input to embed: text, or token ids where the backend takes them. */
export type EmbeddingInput = string | number[];

/** One embedding as a provider returns it. */
export interface EmbeddingResult {
  vector: number[];
  usage: Usage;
}

/** The work one batching-core item carries. */
export type InferenceInput =
  | { kind: 'chat'; call: Omit<ChatCall, 'model'> }
  /**
   * A streamed chat: the item succeeds once the first piece has arrived, so retries and
   * fallback hold until then. `signal` is the caller's own (client gone, deadline): it
   * governs the rest of the stream after the core has let go of the item.
   */
  | { kind: 'chatStream'; call: Omit<ChatCall, 'model'>; signal?: AbortSignal }
  | { kind: 'embedding'; input: EmbeddingInput; dimensions?: number };

/** What one batching-core item produces. */
export type InferenceOutput =
  | { kind: 'chat'; result: ChatResult }
  | { kind: 'chatStream'; stream: OpenedChatStream }
  | { kind: 'embedding'; result: EmbeddingResult };
