import { PlatformError } from '../errors/PlatformError';

/** The request's content type is not the one the route reads (JSON unless it says otherwise) (415). */
export class UnsupportedMediaTypeError extends PlatformError {
  constructor(contentType: string | undefined, expected = 'application/json') {
    super(`Content-Type must be ${expected}, got ${contentType ? `'${contentType}'` : 'none'}.`, {
      code: 'unsupported_media_type',
      status: 415,
      type: 'invalid_request_error',
    });
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** The body is not valid JSON (400). */
export class MalformedJsonError extends PlatformError {
  constructor(detail: string) {
    super(`We could not parse the JSON body of your request: ${detail}`, {
      code: 'invalid_json',
      status: 400,
      type: 'invalid_request_error',
    });
    this.name = 'MalformedJsonError';
  }
}

/** The multipart body cannot be parsed (400). */
export class MalformedMultipartError extends PlatformError {
  constructor(detail: string, cause?: unknown) {
    super(`We could not parse the multipart/form-data body of your request: ${detail}`, {
      code: 'invalid_multipart',
      status: 400,
      type: 'invalid_request_error',
      cause,
    });
    this.name = 'MalformedMultipartError';
  }
}
