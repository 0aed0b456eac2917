import { PlatformError } from '../errors';

/** The request's content type is not JSON (415). */
export class UnsupportedMediaTypeError extends PlatformError {
  constructor(contentType: string | undefined) {
    super(`Content-Type must be application/json, got ${contentType ? `'${contentType}'` : 'none'}.`, { code: 'unsupported_media_type', status: 415, type: 'invalid_request_error' });
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** The body is not valid JSON (400). */
export class MalformedJsonError extends PlatformError {
  constructor(detail: string) {
    super(`We could not parse the JSON body of your request: ${detail}`, { code: 'invalid_json', status: 400, type: 'invalid_request_error' });
    this.name = 'MalformedJsonError';
  }
}
