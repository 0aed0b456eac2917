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
