import { isUtf8 } from 'node:buffer';
import type { MiddlewareObj, Request } from '@middy/core';
import { PayloadTooLargeError } from '../errors/requestErrors';
import { MalformedJsonError, UnsupportedMediaTypeError } from './httpErrors';
import { isJsonMediaType } from './mediaType';
import type { RouteEvent } from './routeEvent';

/** A request whose JSON body has been parsed (still unvalidated). */
export type WithJsonBody<E> = E & { jsonBody: unknown };

/**
 * Reads a JSON request body: checks the content type and the size before parsing,
 * decodes base64 bodies, and names the position of a syntax error. With `when`, only the
 * requests it accepts are read (one function serving a POST with a body and GETs without).
 */
export function jsonBody(options: { maxBytes: number; when?: (event: RouteEvent) => boolean }): MiddlewareObj<WithJsonBody<RouteEvent>> {
  const before = async (request: Request<WithJsonBody<RouteEvent>>) => {
    const event = request.event;
    if (options.when && !options.when(event)) return;
    const contentType = event.headers?.['content-type'];
    if (!isJsonMediaType(contentType)) throw new UnsupportedMediaTypeError(contentType);
    const raw = event.body ?? '';
    const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : undefined;
    // Decoding replaces bytes that are not UTF-8 with U+FFFD without a word: the prompt
    // would reach the model silently changed. JSON must be UTF-8 (RFC 8259), so say so.
    if (bytes && !isUtf8(bytes)) throw new MalformedJsonError('the body is not valid UTF-8 text (JSON must be UTF-8).');
    const text = bytes ? bytes.toString('utf8') : raw;
    if (Buffer.byteLength(text, 'utf8') > options.maxBytes) throw new PayloadTooLargeError(options.maxBytes);
    if (text.trim() === '') throw new MalformedJsonError('the body is empty.');
    try {
      event.jsonBody = JSON.parse(text);
    } catch (error) {
      throw new MalformedJsonError((error as Error).message);
    }
  };
  return { before };
}
