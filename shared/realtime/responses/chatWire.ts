/**
 * The OpenAI chat-completions wire shapes the Responses translation produces and
 * consumes: the public request body, the `chat.completion` object and the
 * `chat.completion.chunk` stream items. Declared here, as plain types, rather than
 * borrowed from the platform's chat schema, so the translation depends only on the
 * public contract and not on how the chat route validates it.
 */

/** A function tool call as an assistant message carries it. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of a chat-completions request. */
export type ChatWireMessage =
  | { role: 'system' | 'developer' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A function tool of a chat-completions request. */
export interface ChatWireTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

/** `tool_choice` of a chat-completions request. */
export type ChatWireToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

/** `response_format` of a chat-completions request. */
export type ChatWireResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean } };

/** A chat-completions request body, as a client would POST it to `/v1/chat/completions`. */
export interface ChatWireRequest {
  model: string;
  messages: ChatWireMessage[];
  tools?: ChatWireTool[];
  tool_choice?: ChatWireToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: ChatWireResponseFormat;
  reasoning_effort?: string;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  metadata?: Record<string, string>;
  user?: string;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
}

/** Token usage as chat completions reports it; the details are optional, as backends vary. */
export interface ChatWireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

/** Why generation stopped; anything else a backend says is treated as `stop`. */
export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | null;

/** A `chat.completion` object (only the fields the translation reads are required). */
export interface ChatWireCompletion {
  id?: string;
  object?: 'chat.completion';
  created?: number;
  model?: string;
  choices: Array<{
    index?: number;
    message: {
      role?: 'assistant';
      content?: string | null;
      refusal?: string | null;
      tool_calls?: ChatToolCall[] | null;
      /** vLLM's and DeepSeek's name for the reasoning text. */
      reasoning_content?: string | null;
      /** The name some newer vLLM releases use instead. */
      reasoning?: string | null;
    };
    finish_reason: ChatFinishReason | string;
  }>;
  usage?: ChatWireUsage | null;
}

/** One tool-call fragment of a streamed delta, keyed by `index`. */
export interface ChatToolCallDelta {
  index: number;
  id?: string | null;
  type?: 'function';
  function?: { name?: string | null; arguments?: string | null };
}

/** An error as a stream may carry it instead of a chunk. */
export interface ChatWireError {
  message: string;
  type?: string | null;
  code?: string | number | null;
  param?: string | null;
}

/**
 * One item of a streamed chat completion: a `chat.completion.chunk` (the last one may
 * have `choices: []` and carry only `usage`), or an `{ error }` object when the stream
 * failed part way.
 */
export interface ChatWireChunk {
  id?: string;
  object?: 'chat.completion.chunk';
  created?: number;
  model?: string;
  choices?: Array<{
    index?: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      refusal?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: ChatToolCallDelta[] | null;
    };
    finish_reason?: ChatFinishReason | string | null;
  }>;
  usage?: ChatWireUsage | null;
  error?: ChatWireError;
}
