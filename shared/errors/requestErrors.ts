import { PlatformError } from './PlatformError';

/** The request is malformed or names a value the platform does not accept (400). */
export class InvalidRequestError extends PlatformError {
  constructor(message: string, options: { param?: string | null; code?: string; cause?: unknown } = {}) {
    super(message, {
      code: options.code ?? 'invalid_request',
      status: 400,
      type: 'invalid_request_error',
      param: options.param,
      cause: options.cause,
    });
    this.name = 'InvalidRequestError';
  }
}

/** The request body is larger than the route accepts (413). */
export class PayloadTooLargeError extends PlatformError {
  constructor(limitBytes: number) {
    super(`Request body is larger than the limit of ${limitBytes} bytes.`, {
      code: 'payload_too_large',
      status: 413,
      type: 'invalid_request_error',
    });
    this.name = 'PayloadTooLargeError';
  }
}

/** The input does not fit the model's context window (400, as OpenAI answers it). */
export class ContextLengthExceededError extends PlatformError {
  constructor(model: string, limitTokens: number, estimatedTokens: number, param: string) {
    super(
      `This model's maximum context length is ${limitTokens} tokens; the request needs about ${estimatedTokens}. Shorten '${param}' or lower max_tokens.`,
      { code: 'context_length_exceeded', status: 400, type: 'invalid_request_error', param },
    );
    this.name = 'ContextLengthExceededError';
  }
}

/** The API key is missing, unknown or revoked (401). */
export class AuthenticationError extends PlatformError {
  constructor(message = 'Incorrect or missing API key. Send it as "Authorization: Bearer <key>".') {
    super(message, { code: 'invalid_api_key', status: 401, type: 'authentication_error' });
    this.name = 'AuthenticationError';
  }
}

/** The key is valid but may not do this: an admin-only route called with an ordinary key (403). */
export class PermissionDeniedError extends PlatformError {
  constructor(message = 'This route needs an admin API key.') {
    super(message, { code: 'insufficient_permissions', status: 403, type: 'permission_error' });
    this.name = 'PermissionDeniedError';
  }
}

/** The thing asked for does not exist, or belongs to another tenant (404). */
export class NotFoundError extends PlatformError {
  constructor(message: string, options: { code?: string; param?: string | null } = {}) {
    super(message, { code: options.code ?? 'not_found', status: 404, type: 'invalid_request_error', param: options.param });
    this.name = 'NotFoundError';
  }
}

/** The model named in the request is not in the catalogue, or not for this route (404). */
export class ModelNotFoundError extends NotFoundError {
  constructor(model: string, detail = 'does not exist') {
    super(`The model '${model}' ${detail}.`, { code: 'model_not_found', param: 'model' });
    this.name = 'ModelNotFoundError';
  }
}
