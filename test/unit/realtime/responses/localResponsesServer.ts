/**
 * A tiny local server (node:http on 127.0.0.1, port 0) serving `POST /v1/responses` with
 * the translators over a canned chat model: what the handler will do, without the
 * platform. Shared by the tests that run real clients against it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toOpenAiError } from '../../../../shared/http/openAiErrors';
import { parseRequest } from '../../../../shared/domain/validation';
import { encodeSse } from '../../../../shared/realtime/responses/streamEvents';
import { ResponsesRequest } from '../../../../shared/realtime/responses/requestSchema';
import { toChatRequest } from '../../../../shared/realtime/responses/toChatRequest';
import { toResponse } from '../../../../shared/realtime/responses/toResponse';
import { toResponseEvents } from '../../../../shared/realtime/responses/toResponseEvents';
import type { ChatWireChunk, ChatWireCompletion, ChatWireRequest } from '../../../../shared/realtime/responses/chatWire';

/** The chat requests the server ran, newest last. */
export const seen: ChatWireRequest[] = [];
/** Set by a test to make streamed completions fail after their first text chunk. */
export const faults = { failStream: false };

/** A canned chat model: calls `weather` when offered it and no result is back yet, else echoes the user. */
function complete(chat: ChatWireRequest): ChatWireCompletion {
  const last = chat.messages.at(-1)!;
  const user = [...chat.messages].reverse().find((m) => m.role === 'user')!;
  const message: ChatWireCompletion['choices'][0]['message'] = {
    role: 'assistant',
    reasoning_content: chat.reasoning_effort ? 'Thinking it over.' : null,
  };
  let finish = 'stop';
  if (chat.tools?.length && last.role !== 'tool') {
    message.content = null;
    message.tool_calls = [{ id: 'call_w1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }];
    finish = 'tool_calls';
  } else if (chat.response_format?.type === 'json_schema') {
    message.content = '{"city":"Paris","celsius":20}';
  } else {
    message.content = last.role === 'tool' ? `It is ${last.content}.` : `You said: ${user.content}`;
  }
  return {
    id: 'chatcmpl-x',
    object: 'chat.completion',
    created: 1,
    model: chat.model,
    choices: [{ index: 0, message, finish_reason: finish }],
    usage: {
      prompt_tokens: 11,
      completion_tokens: 7,
      total_tokens: 18,
      completion_tokens_details: { reasoning_tokens: message.reasoning_content ? 3 : 0 },
    },
  };
}

/** The same completion as chat.completion.chunk items: pieces of a few characters, then the usage chunk. */
async function* chunksOf(completion: ChatWireCompletion): AsyncIterable<ChatWireChunk> {
  const { message, finish_reason } = completion.choices[0]!;
  const chunk = (delta: NonNullable<ChatWireChunk['choices']>[0]['delta'], finish: string | null = null): ChatWireChunk => ({
    id: 'chatcmpl-x',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const pieces = (text: string) => text.match(/.{1,4}/gs) ?? [];
  yield chunk({ role: 'assistant', content: '' });
  for (const piece of pieces(message.reasoning_content ?? '')) yield chunk({ reasoning_content: piece });
  for (const piece of pieces(message.content ?? '')) {
    yield chunk({ content: piece });
    if (faults.failStream) {
      yield { error: { message: 'The backend stopped answering.', type: 'server_error' } };
      return;
    }
  }
  for (const [index, call] of (message.tool_calls ?? []).entries()) {
    yield chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
    for (const piece of pieces(call.function.arguments)) yield chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
  }
  yield chunk({}, finish_reason);
  yield { id: 'chatcmpl-x', object: 'chat.completion.chunk', choices: [], usage: completion.usage };
}

/** The glue a handler needs: parse, translate, run chat, translate back (JSON or SSE). */
function serve(): Server {
  return createServer(async (request, response) => {
    let raw = '';
    for await (const piece of request) raw += piece;
    try {
      const req = parseRequest(ResponsesRequest, JSON.parse(raw));
      const chat = toChatRequest(req);
      seen.push(chat);
      const meta = { createdAt: Math.floor(Date.now() / 1000) };
      if (!req.stream) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(toResponse(complete(chat), req, meta)));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for await (const event of toResponseEvents(chunksOf(complete(chat)), req, meta)) response.write(encodeSse(event));
      response.end();
    } catch (error) {
      const { status, body } = toOpenAiError(error);
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }
  });
}

/** Starts the server; resolves to its base URL (ending in `/v1`) and a way to stop it. */
export async function startServer(): Promise<{ baseURL: string; close: () => Promise<void> }> {
  const server = serve();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The function tool the canned model calls. */
export const weatherTool = {
  type: 'function' as const,
  name: 'weather',
  description: 'Weather in a city',
  strict: false,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
