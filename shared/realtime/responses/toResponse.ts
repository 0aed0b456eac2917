import type { ChatWireCompletion } from './chatWire';
import type { ResponsesRequest } from './requestSchema';
import {
  incompleteReason,
  newId,
  responseSkeleton,
  usageOf,
  wantsSummary,
  type OutputItem,
  type ResponseMeta,
  type ResponseObject,
} from './responseObject';

/**
 * The Response object for a `chat.completion`, as OpenAI's Responses API would answer
 * the request: a `reasoning` item when the backend gave reasoning text, a `message` item
 * when it gave text, one `function_call` item per tool call, in that order. A `length`
 * finish makes the response `incomplete` (reason `max_output_tokens`) and its last item
 * `incomplete`; `content_filter` likewise (reason `content_filter`).
 */
export function toResponse(completion: ChatWireCompletion, req: ResponsesRequest, meta: ResponseMeta): ResponseObject {
  const response = responseSkeleton(req, { ...meta, id: meta.id ?? newId('resp') });
  const choice = completion.choices[0];
  if (!choice) throw new Error('chat completion has no choices');
  const message = choice.message;
  const output: OutputItem[] = [];

  const reasoning = message.reasoning_content ?? message.reasoning;
  if (reasoning) {
    output.push({
      id: newId('rs'),
      type: 'reasoning',
      status: 'completed',
      encrypted_content: null,
      summary: wantsSummary(req) ? [{ type: 'summary_text', text: reasoning }] : [],
      content: [{ type: 'reasoning_text', text: reasoning }],
    });
  }
  const text = message.content;
  if (text) {
    output.push({
      id: newId('msg'),
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
    });
  }
  for (const call of message.tool_calls ?? []) {
    output.push({
      id: newId('fc'),
      type: 'function_call',
      status: 'completed',
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    });
  }

  const reason = incompleteReason(choice.finish_reason);
  const last = output.at(-1);
  if (reason && last) last.status = 'incomplete';
  response.output = output;
  response.status = reason ? 'incomplete' : 'completed';
  response.incomplete_details = reason ? { reason } : null;
  response.completed_at = reason ? null : (meta.now?.() ?? Math.floor(Date.now() / 1000));
  response.usage = usageOf(completion.usage);
  return response;
}
