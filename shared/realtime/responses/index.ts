/**
 * `POST /v1/responses`: OpenAI's Responses API, stateless, as a translation over chat
 * completions, so it runs on the same core and routing as chat.
 *
 * A handler does, in order:
 *
 * ```ts
 * const req = parseRequest(ResponsesRequest, body);           // 400 naming any field it cannot honour
 * const chat = toChatRequest(req);                            // the chat-completions body it stands for
 * const meta = { createdAt: Math.floor(Date.now() / 1000) };
 * if (!req.stream) {
 *   try {
 *     const completion = await service.chatCompletion(parseRequest(ChatCompletionRequest, chat), { deadline });
 *     return jsonResponse(200, toResponse(completion, req, meta));
 *   } catch (error) {
 *     throw asResponsesError(error);                          // chat field names -> the Responses fields sent
 *   }
 * }
 * // streamed: `chunks` is the chat use case's AsyncIterable of chat.completion.chunk JSON
 * // (an `{ error }` item, or a throw, ends the response as `response.failed`)
 * for await (const frame of encodeSseStream(toResponseEvents(chunks, req, meta))) write(frame);
 * ```
 *
 * The SSE stream has `content-type: text/event-stream` and no `[DONE]` line: it ends
 * after `response.completed`, `response.incomplete` or `response.failed`. Nothing is
 * stored: `store` is answered `false`, and `previous_response_id`, `conversation`,
 * `item_reference` inputs, `background: true` and `store: true` are refused.
 */
export { ResponsesRequest, FunctionTool, ToolChoice, TextFormat, ReasoningConfig } from './requestSchema';
export {
  InputItem,
  InputMessage,
  AssistantMessage,
  FunctionCallItem,
  FunctionCallOutputItem,
  ReasoningItem,
  InputTextPart,
  OutputTextPart,
} from './inputItems';
export { toChatRequest } from './toChatRequest';
export { ResponsesService } from './ResponsesService';
export type { ResponsesAnswer } from './ResponsesService';
export { asResponsesError, responsesParam } from './chatErrors';
export { toResponse } from './toResponse';
export { toResponseEvents } from './toResponseEvents';
export { encodeSse, encodeSseStream, failureOf } from './streamEvents';
export type { ResponseStreamEvent } from './streamEvents';
export { newId, usageOf, responseSkeleton } from './responseObject';
export type {
  ResponseObject,
  ResponseMeta,
  ResponseUsage,
  ResponseError,
  OutputItem,
  MessageItem,
  FunctionCallOutput,
  ReasoningOutput,
  OutputText,
} from './responseObject';
export type {
  ChatWireRequest,
  ChatWireMessage,
  ChatWireTool,
  ChatWireToolChoice,
  ChatWireResponseFormat,
  ChatWireCompletion,
  ChatWireChunk,
  ChatWireUsage,
  ChatWireError,
  ChatToolCall,
  ChatToolCallDelta,
} from './chatWire';
