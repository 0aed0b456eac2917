import { InvalidRequestError, NotFoundError } from '../errors/requestErrors';
import { PlatformError } from '../errors/PlatformError';
import { MAX_ANSWER_BYTES, MAX_REQUEST_BYTES, MAX_SENDER_ATTRIBUTES } from './constants';

/**
 * A `reply_to` the deployment does not let answers go to. Such a message is never answered
 * (no queue outside the allowed ones receives anything): it fails on every receive and
 * ends in the requests DLQ, where its alarm tells an operator.
 */
export class ReplyQueueNotAllowedError extends PlatformError {
  constructor(detail: string) {
    super(`Invalid value for 'reply_to': ${detail}`, {
      code: 'reply_to_not_allowed',
      status: 403,
      type: 'permission_error',
      param: 'reply_to',
    });
    this.name = 'ReplyQueueNotAllowedError';
  }
}

/** A request over {@link MAX_REQUEST_BYTES}: it is answered with this error, never run (413). */
export class RequestTooLargeError extends PlatformError {
  constructor(bytes: number) {
    super(
      `The request is ${bytes} bytes, more than the ${MAX_REQUEST_BYTES} bytes a queued request may be; send large work as a batch job.`,
      {
        code: 'request_too_large',
        status: 413,
        type: 'invalid_request_error',
      },
    );
    this.name = 'RequestTooLargeError';
  }
}

/** A result too large for a queue message: the answer says so instead (413). */
export class ResponseTooLargeError extends PlatformError {
  constructor(bytes: number) {
    super(
      `The response is ${bytes} bytes, more than the ${MAX_ANSWER_BYTES} bytes an answer message may be; send fewer inputs per request, ask for encoding_format "base64", or use POST /v1/requests or a batch job.`,
      { code: 'response_too_large', status: 413, type: 'invalid_request_error' },
    );
    this.name = 'ResponseTooLargeError';
  }
}

/** More message attributes than an answer could carry back with its `custom_id` (400). */
export class TooManyAttributesError extends InvalidRequestError {
  constructor(count: number) {
    super(
      `The message has ${count} message attributes; at most ${MAX_SENDER_ATTRIBUTES} can travel back on the answer (SQS allows 10, and the answer adds custom_id).`,
      { code: 'too_many_attributes' },
    );
    this.name = 'TooManyAttributesError';
  }
}

/** No such asynchronous request for this tenant; another tenant's is answered the same (404). */
export class AsyncRequestNotFoundError extends NotFoundError {
  constructor(requestId: string) {
    super(`No request found with id '${requestId}'.`, { code: 'request_not_found' });
    this.name = 'AsyncRequestNotFoundError';
  }
}

/**
 * A request whose message reached the requests DLQ before any delivery answered it (the
 * invocations that held it crashed or timed out on every receive SQS allowed). The
 * consumer of the DLQ answers it with this error, so its caller is never left waiting (503).
 */
export class DeadLetteredError extends PlatformError {
  constructor() {
    super(
      'The request could not be processed: every delivery of its message failed before it was answered, and it went to the dead-letter queue. Send it again.',
      { code: 'dead_lettered', status: 503, type: 'server_error', retryable: true },
    );
    this.name = 'DeadLetteredError';
  }
}
