import { PlatformError } from '../../errors/PlatformError';
import type { ChatWireError } from './chatWire';
import type { OutputItem, OutputText, ResponseError, ResponseObject } from './responseObject';

/**
 * The Responses streaming events this endpoint emits, in OpenAI's shapes (the subset a
 * text, reasoning and function-calling response needs), and the SSE encoding.
 */

interface Sequenced {
  sequence_number: number;
}
interface ItemScoped extends Sequenced {
  item_id: string;
  output_index: number;
}
interface ContentScoped extends ItemScoped {
  content_index: number;
}
interface SummaryScoped extends ItemScoped {
  summary_index: number;
}

type ReasoningText = { type: 'reasoning_text'; text: string };
type SummaryText = { type: 'summary_text'; text: string };

/** One Responses streaming event. */
export type ResponseStreamEvent =
  | (Sequenced & {
      type: 'response.created' | 'response.in_progress' | 'response.completed' | 'response.incomplete' | 'response.failed';
      response: ResponseObject;
    })
  | (Sequenced & { type: 'response.output_item.added' | 'response.output_item.done'; output_index: number; item: OutputItem })
  | (ContentScoped & { type: 'response.content_part.added' | 'response.content_part.done'; part: OutputText | ReasoningText })
  | (ContentScoped & { type: 'response.output_text.delta'; delta: string; logprobs: never[] })
  | (ContentScoped & { type: 'response.output_text.done'; text: string; logprobs: never[] })
  | (ContentScoped & { type: 'response.reasoning_text.delta'; delta: string })
  | (ContentScoped & { type: 'response.reasoning_text.done'; text: string })
  | (SummaryScoped & { type: 'response.reasoning_summary_part.added' | 'response.reasoning_summary_part.done'; part: SummaryText })
  | (SummaryScoped & { type: 'response.reasoning_summary_text.delta'; delta: string })
  | (SummaryScoped & { type: 'response.reasoning_summary_text.done'; text: string })
  | (ItemScoped & { type: 'response.function_call_arguments.delta'; delta: string })
  | (ItemScoped & { type: 'response.function_call_arguments.done'; arguments: string; name: string });

/** An event before its sequence number is given. */
export type UnsequencedEvent = ResponseStreamEvent extends infer E
  ? E extends ResponseStreamEvent
    ? Omit<E, 'sequence_number'>
    : never
  : never;

/**
 * One event as a server-sent event, the way OpenAI frames them:
 * `event: <type>\ndata: <json>\n\n`. No `[DONE]` follows the last one: the stream ends
 * after `response.completed`, `response.incomplete` or `response.failed`.
 */
export function encodeSse(event: ResponseStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Every event of `events` encoded as SSE, for a handler to write out as they come. */
export async function* encodeSseStream(events: AsyncIterable<ResponseStreamEvent>): AsyncIterable<string> {
  for await (const event of events) yield encodeSse(event);
}

/**
 * The `error` of a failed response for what ended the chunk stream: an `{ error }` item
 * in it, or a thrown error. A thrown error's message is passed on only when it is a
 * PlatformError (written for callers); anything else may carry internals, so is summarised.
 */
export function failureOf(failure: { chunkError: ChatWireError } | { thrown: unknown }): ResponseError {
  if ('chunkError' in failure) {
    const { code, type, message } = failure.chunkError;
    const limited = code === 'rate_limit_exceeded' || code === 429 || type === 'rate_limit_error' || type === 'rate_limit_exceeded';
    return {
      code: limited ? 'rate_limit_exceeded' : 'server_error',
      message: message || 'The model failed while generating the response.',
    };
  }
  const error = failure.thrown;
  if (error instanceof PlatformError) {
    return { code: error.status === 429 ? 'rate_limit_exceeded' : 'server_error', message: error.message };
  }
  return { code: 'server_error', message: 'The model failed while generating the response.' };
}
