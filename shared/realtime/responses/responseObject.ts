import { randomBytes } from 'node:crypto';
import type { ChatWireUsage } from './chatWire';
import type { ResponsesRequest } from './requestSchema';

/**
 * The Response object as OpenAI returns it (the parts this endpoint fills), and the pieces
 * shared by the non-streamed and the streamed translations: ids, usage, status and the
 * request fields every Response echoes. `output_text` is not sent: like OpenAI, this
 * leaves it to the client (the openai client computes it from `output`).
 */

/** A text part of an assistant message. */
export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: never[];
  logprobs: never[];
}

/** Status of an output item. */
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

/** The assistant's message. */
export interface MessageItem {
  id: string;
  type: 'message';
  role: 'assistant';
  status: ItemStatus;
  content: OutputText[];
}

/** A call the model asks the client to make. */
export interface FunctionCallOutput {
  id: string;
  type: 'function_call';
  call_id: string;
  name: string;
  arguments: string;
  status: ItemStatus;
}

/** The model's reasoning: its text in `content`, and in `summary` too when a summary was asked for. */
export interface ReasoningOutput {
  id: string;
  type: 'reasoning';
  status: ItemStatus;
  encrypted_content: null;
  summary: Array<{ type: 'summary_text'; text: string }>;
  content: Array<{ type: 'reasoning_text'; text: string }>;
}

/** One item of `output`. */
export type OutputItem = MessageItem | FunctionCallOutput | ReasoningOutput;

/** Token usage in the Responses API's names. */
export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** Why a response stopped short. */
export type IncompleteReason = 'max_output_tokens' | 'content_filter';

/** An error a failed response carries. */
export interface ResponseError {
  code: 'server_error' | 'rate_limit_exceeded';
  message: string;
}

/** A Response object. */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  completed_at: number | null;
  background: false;
  error: ResponseError | null;
  incomplete_details: { reason: IncompleteReason } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  max_tool_calls: null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: null;
  prompt_cache_key: null;
  safety_identifier: null;
  reasoning: { effort: string | null; summary: string | null };
  service_tier: 'default';
  store: false;
  temperature: number | null;
  text: { format: { type: 'text' } | { type: 'json_object' } | Record<string, unknown> };
  tool_choice: ResponsesRequest['tool_choice'] & {};
  tools: Array<Record<string, unknown>>;
  top_logprobs: 0;
  top_p: number | null;
  truncation: 'disabled';
  usage: ResponseUsage | null;
  user: string | null;
  metadata: Record<string, string>;
}

/** What a response carries besides the generation. */
export interface ResponseMeta {
  /** Unix seconds at which the request was accepted. */
  createdAt: number;
  /** Defaults to a fresh `resp_…` id. */
  id?: string;
  /** The model to report; defaults to the request's. */
  model?: string;
  /** Unix seconds; defaults to now. Used for `completed_at`. */
  now?: () => number;
}

/** A fresh OpenAI-style id with the given prefix (`resp`, `msg`, `fc`, `rs`, `call`). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

/** The Response usage block for a chat-completions usage (zeros when the backend sent none). */
export function usageOf(usage: ChatWireUsage | null | undefined): ResponseUsage {
  const input = usage?.prompt_tokens ?? 0;
  const output = usage?.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage?.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage?.total_tokens ?? input + output,
  };
}

/** Why a chat finish reason leaves the response incomplete, or null when it does not. */
export function incompleteReason(finishReason: string | null | undefined): IncompleteReason | null {
  if (finishReason === 'length') return 'max_output_tokens';
  if (finishReason === 'content_filter') return 'content_filter';
  return null;
}

/**
 * A Response with no output yet (`in_progress`), echoing the request's settings as OpenAI
 * does; the translations fill in output, status and usage.
 */
export function responseSkeleton(req: ResponsesRequest, meta: ResponseMeta & { id: string }): ResponseObject {
  const format = req.text?.format ?? { type: 'text' as const };
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status: 'in_progress',
    completed_at: null,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    max_tool_calls: null,
    model: meta.model ?? req.model,
    output: [],
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: null,
    prompt_cache_key: null,
    safety_identifier: null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    service_tier: 'default',
    store: false,
    // Null when not given: the backend's default applies, which need not be OpenAI's 1.
    temperature: req.temperature ?? null,
    text: { format },
    tool_choice: req.tool_choice ?? 'auto',
    tools: (req.tools ?? []).map((tool) => ({
      type: 'function',
      name: tool.name,
      description: tool.description ?? null,
      // Echoed as given: strictness is only asked of the backend when the client asks for it.
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? null,
    })),
    top_logprobs: 0,
    top_p: req.top_p ?? null,
    truncation: 'disabled',
    usage: null,
    user: req.user ?? null,
    metadata: req.metadata ?? {},
  };
}

/** Whether the request asked for a reasoning summary (then reasoning text is given as one). */
export function wantsSummary(req: ResponsesRequest): boolean {
  return req.reasoning?.summary != null;
}
