import { logger } from '../observability/logger';
import { toOpenAiError } from './openAiErrors';

/**
 * Server-sent events of a chat stream, as OpenAI sends them: one `data: <json>` event
 * per chunk and `data: [DONE]` at the end. A failure after the first byte cannot change
 * the status any more, so it is reported the way OpenAI does, as an event
 * `data: {"error": {...}}` (the `openai` client throws it as an APIError), and the
 * stream is closed without `[DONE]`.
 */
export async function* chatServerSentEvents(chunks: AsyncIterable<unknown>, requestId?: string): AsyncGenerator<string> {
  try {
    for await (const chunk of chunks) yield `data: ${JSON.stringify(chunk)}\n\n`;
  } catch (error) {
    const { status, body } = toOpenAiError(error, requestId);
    if (status >= 500) logger.error('stream failed after its first byte', { code: body.error.code, error: error as Error });
    else logger.info('stream ended by the caller or a refusal', { code: body.error.code });
    yield `data: ${JSON.stringify(body)}\n\n`;
    return;
  }
  yield 'data: [DONE]\n\n';
}

/** The headers of an event stream: no buffering on the way, no caching. */
export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};
