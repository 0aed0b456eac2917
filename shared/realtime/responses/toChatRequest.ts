import type { ChatToolCall, ChatWireMessage, ChatWireRequest, ChatWireResponseFormat, ChatWireToolChoice } from './chatWire';
import type { InputItem } from './inputItems';
import type { ResponsesRequest, TextFormat, ToolChoice } from './requestSchema';

/**
 * The chat-completions request body a validated Responses request stands for, in the
 * public wire shape, so it can go through the same validation, core and routing as a
 * `POST /v1/chat/completions`.
 *
 * - `instructions` becomes a leading system message;
 * - messages keep their role; an assistant message followed by function calls becomes
 *   one assistant message with `tool_calls` (content null when it had no text);
 * - `function_call_output` items become `tool` messages;
 * - reasoning items are left out (see {@link ReasoningItem}).
 */
export function toChatRequest(req: ResponsesRequest): ChatWireRequest {
  const body: ChatWireRequest = { model: req.model, messages: toMessages(req) };
  if (req.tools?.length) {
    body.tools = req.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description != null && { description: tool.description }),
        ...(tool.parameters != null && { parameters: tool.parameters }),
        ...(tool.strict != null && { strict: tool.strict }),
      },
    }));
  }
  if (req.tool_choice !== undefined) body.tool_choice = toolChoiceOf(req.tool_choice);
  if (req.parallel_tool_calls != null) body.parallel_tool_calls = req.parallel_tool_calls;
  const format = req.text?.format;
  if (format && format.type !== 'text') body.response_format = responseFormatOf(format);
  if (req.reasoning?.effort != null) body.reasoning_effort = req.reasoning.effort;
  if (req.max_output_tokens != null) body.max_completion_tokens = req.max_output_tokens;
  if (req.temperature != null) body.temperature = req.temperature;
  if (req.top_p != null) body.top_p = req.top_p;
  if (req.metadata != null) body.metadata = req.metadata;
  if (req.user !== undefined) body.user = req.user;
  if (req.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}

function toMessages(req: ResponsesRequest): ChatWireMessage[] {
  const messages: ChatWireMessage[] = [];
  if (req.instructions) messages.push({ role: 'system', content: req.instructions });
  for (const item of req.input as InputItem[]) {
    switch (item.type) {
      case 'message':
        if (item.role === 'assistant') {
          messages.push({ role: 'assistant', content: item.content.map((part) => part.text).join('') });
        } else {
          messages.push({ role: item.role, content: item.content.map((part) => part.text).join('') });
        }
        break;
      case 'function_call': {
        const call: ChatToolCall = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } };
        const last = messages.at(-1);
        if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        break;
      }
      case 'function_call_output':
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: item.output.map((part) => part.text).join('') });
        break;
      case 'reasoning':
        break;
    }
  }
  // An assistant message that had no text but gained tool calls says so with null content.
  for (const message of messages) {
    if (message.role === 'assistant' && message.tool_calls && message.content === '') message.content = null;
  }
  return messages;
}

function toolChoiceOf(choice: ToolChoice): ChatWireToolChoice {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

function responseFormatOf(format: Exclude<TextFormat, { type: 'text' }>): ChatWireResponseFormat {
  if (format.type === 'json_object') return { type: 'json_object' };
  return {
    type: 'json_schema',
    json_schema: {
      name: format.name,
      schema: format.schema,
      ...(format.description !== undefined && { description: format.description }),
      ...(format.strict != null && { strict: format.strict }),
    },
  };
}
