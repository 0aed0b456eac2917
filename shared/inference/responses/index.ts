/**
 * `POST /v1/responses`: OpenAI's Responses API, stateless, as a translation over chat
 * completions. Parse the body with {@link ResponsesRequest} (through `parseRequest`),
 * turn it into a chat request with {@link toChatRequest}, run that as a chat completion,
 * and answer with {@link toResponse} or, streamed, {@link toResponseEvents} encoded by
 * {@link encodeSse}.
 */
export { ResponsesRequest, FunctionTool, ToolChoice, TextFormat, ReasoningConfig } from './requestSchema';
export { InputItem, InputMessage, AssistantMessage, FunctionCallItem, FunctionCallOutputItem, ReasoningItem, InputTextPart, OutputTextPart } from './inputItems';
export { toChatRequest } from './toChatRequest';
export { toResponse } from './toResponse';
export { toResponseEvents } from './toResponseEvents';
export { encodeSse, encodeSseStream, failureOf } from './streamEvents';
export type { ResponseStreamEvent } from './streamEvents';
export { newId, usageOf, responseSkeleton } from './responseObject';
export type {
  ResponseObject, ResponseMeta, ResponseUsage, ResponseError, OutputItem, MessageItem, FunctionCallOutput, ReasoningOutput, OutputText,
} from './responseObject';
export type {
  ChatWireRequest, ChatWireMessage, ChatWireTool, ChatWireToolChoice, ChatWireResponseFormat, ChatWireCompletion, ChatWireChunk,
  ChatWireUsage, ChatWireError, ChatToolCall, ChatToolCallDelta,
} from './chatWire';
