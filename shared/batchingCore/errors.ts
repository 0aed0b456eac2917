import { BackendError, BackendRejectedError, BackendUnavailableError } from '../errors/backendErrors';
import { PlatformError } from '../errors/PlatformError';

/**
 * A call was aborted at the deadline, or an item that had already been sent had no
 * time left for another attempt without a retryable error of its own (a batch it was
 * in was rejected and could not be split further in time). Retryable: the item may
 * well succeed in the next invocation.
 */
export class DeadlineExceededError extends PlatformError {
  constructor(message = 'The deadline was reached before this item finished.') {
    super(message, { code: 'deadline_exceeded', status: 504, type: 'server_error', retryable: true });
    this.name = 'DeadlineExceededError';
  }
}

/**
 * The caller went away (its signal aborted) while the item was in a call or between
 * attempts. 499 is the "client closed request" status that load balancers log.
 */
export class CancelledError extends PlatformError {
  constructor(message = 'The caller cancelled before this item finished.') {
    super(message, { code: 'cancelled', status: 499, type: 'server_error', retryable: true });
    this.name = 'CancelledError';
  }
}

/** The core itself broke (a bug): the item's fate is unknown, so it is worth trying again. */
export class BatchingInternalError extends PlatformError {
  constructor(cause: unknown) {
    super(`The batching core failed unexpectedly: ${describe(cause)}`, {
      code: 'internal_error',
      status: 500,
      type: 'server_error',
      retryable: true,
      cause,
    });
    this.name = 'BatchingInternalError';
  }
}

/**
 * Whatever a backend or resolver threw, as a {@link BackendError}. A platform error of
 * the caller's (a 4xx a provider raised while mapping the request) is a refusal of that
 * request: not retried, and not the backend's fault. Anything else that is not a
 * BackendError already is a fault we cannot classify, so it is treated as the backend
 * being unavailable: retried, elsewhere if possible, and counted against its circuit.
 */
export function asBackendError(error: unknown, backendId?: string): BackendError {
  if (error instanceof BackendError) return error;
  if (error instanceof PlatformError && error.status >= 400 && error.status < 500) {
    return new BackendRejectedError(error.message, { backendId, cause: error, code: error.code, status: error.status });
  }
  return new BackendUnavailableError(`Backend call failed: ${describe(error)}`, { backendId, cause: error });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
