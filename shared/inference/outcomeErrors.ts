import type { Outcome } from '../batching/types';
import { PlatformError } from '../errors';

/**
 * Turns an outcome that did not succeed into the error a caller gets. A request the
 * core could not attempt before the function's deadline is a 504 worth retrying.
 */
export function outcomeError(outcome: Exclude<Outcome<unknown>, { status: 'succeeded' }>): PlatformError {
  if (outcome.status === 'not_attempted') {
    return outcome.reason === 'deadline'
      ? new PlatformError('The request could not be served before the time limit; try again.', {
          code: 'deadline_exceeded',
          status: 504,
          type: 'server_error',
          retryable: true,
        })
      : new PlatformError('The request was cancelled.', { code: 'cancelled', status: 499, type: 'server_error', retryable: true });
  }
  const { code, message, retryable, httpStatus } = outcome.error;
  const type = httpStatus === 429 ? 'rate_limit_error' : httpStatus >= 500 ? 'server_error' : 'invalid_request_error';
  return new PlatformError(message, { code, status: httpStatus, type, retryable });
}
