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
import { ChatCompletionRequest } from '../../domain/chat';
import { parseRequest } from '../../domain/validation';
import type { InferenceService, ServeOptions } from '../InferenceService';
import type { ChatWireChunk, ChatWireCompletion } from './chatWire';
import { asResponsesError } from './chatErrors';
import type { ResponsesRequest } from './requestSchema';
import type { ResponseObject } from './responseObject';
import type { ResponseStreamEvent } from './streamEvents';
import { toChatRequest } from './toChatRequest';
import { toResponse } from './toResponse';
import { toResponseEvents } from './toResponseEvents';

/** A Response object, or with `stream: true` its event stream. */
export type ResponsesAnswer =
  | { kind: 'response'; response: ResponseObject }
  | { kind: 'events'; events: AsyncIterable<ResponseStreamEvent> };

/**
 * `POST /v1/responses`, stateless: the request is translated to the chat completion it
 * stands for and served by the chat use cases, so it takes the same core, routing,
 * fallback and checks as chat; the answer is translated back. Errors name the Responses
 * fields the caller sent, not the chat fields they became.
 */
export class ResponsesService {
  constructor(
    private readonly chat: InferenceService,
    private readonly now: () => number = Date.now,
  ) {}

  async respond(request: ResponsesRequest, options: ServeOptions = {}): Promise<ResponsesAnswer> {
    const meta = { createdAt: Math.floor(this.now() / 1000) };
    try {
      // The chat rules apply as they are; asResponsesError renames what they name.
      const chat = parseRequest(ChatCompletionRequest, toChatRequest(request));
      if (!request.stream) {
        const completion = await this.chat.chatCompletion(chat, options);
        return { kind: 'response', response: toResponse(completion as ChatWireCompletion, request, meta) };
      }
      const chunks = await this.chat.chatCompletionStream(chat, options);
      return { kind: 'events', events: toResponseEvents(chunks as AsyncIterable<ChatWireChunk>, request, meta) };
    } catch (error) {
      throw asResponsesError(error);
    }
  }
}
