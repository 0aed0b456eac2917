import type { ChatMessage, FinishReason } from './chat';

/** Tokens a call consumed, as the backend reported them. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** One chat generation as a provider receives it: the backend's model name, already mapped. */
export interface ChatCall {
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
}

/** What a provider returns for one chat generation. */
export interface ChatResult {
  content: string;
  finishReason: FinishReason;
  usage: Usage;
}

/** One embedding as a provider returns it. */
export interface EmbeddingResult {
  vector: number[];
  usage: Usage;
}

/** The work one batching-core item carries: a chat generation or the embedding of one input. */
export type InferenceInput =
  | { kind: 'chat'; call: Omit<ChatCall, 'model'> }
  | { kind: 'embedding'; text: string };

/** What one batching-core item produces. */
export type InferenceOutput =
  | { kind: 'chat'; result: ChatResult }
  | { kind: 'embedding'; result: EmbeddingResult };
