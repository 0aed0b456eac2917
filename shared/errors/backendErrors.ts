import { PlatformError } from './PlatformError';

/**
 * A failure reported by an inference backend (Bedrock, a GPU endpoint). Providers
 * translate whatever their wire gives into one of these subclasses, so the batching
 * core can decide between retrying, backing off, splitting and giving up without
 * knowing any provider.
 */
export class BackendError extends PlatformError {
  /** The backend that failed, when known. */
  readonly backendId: string | undefined;
  /**
   * The call got no HTTP answer at all (a connection refused or reset, a timeout, an
   * abort): a batch output line reports such a failure in its top-level `error`, not as a
   * `response` with a status code.
   */
  readonly unanswered: boolean;
  constructor(
    message: string,
    options: {
      code: string;
      status: number;
      retryable: boolean;
      backendId?: string;
      cause?: unknown;
      type?: 'server_error' | 'rate_limit_error' | 'invalid_request_error';
      unanswered?: boolean;
    },
  ) {
    super(message, {
      code: options.code,
      status: options.status,
      type: options.type ?? 'server_error',
      retryable: options.retryable,
      cause: options.cause,
    });
    this.name = 'BackendError';
    this.backendId = options.backendId;
    this.unanswered = options.unanswered ?? false;
  }
}

/** The backend refused for load (HTTP 429, Bedrock ThrottlingException): back off and retry. */
export class BackendThrottledError extends BackendError {
  /** How long the backend asked us to wait (Retry-After), if it said. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { retryAfterMs?: number; backendId?: string; cause?: unknown } = {}) {
    super(message, {
      code: 'rate_limit_exceeded',
      status: 429,
      retryable: true,
      type: 'rate_limit_error',
      backendId: options.backendId,
      cause: options.cause,
    });
    this.name = 'BackendThrottledError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The backend is down, erroring (5xx), unreachable or timed out: retry, maybe elsewhere. */
export class BackendUnavailableError extends BackendError {
  /**
   * When every backend of a model is skipped by its circuit: how long until one of them
   * lets a probe through. Batch work whose deadline allows waits that long before trying
   * again, rather than spend its attempts in the cooldown.
   */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: { backendId?: string; cause?: unknown; code?: string; unanswered?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message, {
      code: options.code ?? 'backend_unavailable',
      status: 503,
      retryable: true,
      backendId: options.backendId,
      cause: options.cause,
      // A timeout never has an answer, whoever raised it.
      unanswered: options.unanswered ?? options.code === 'backend_timeout',
    });
    this.name = 'BackendUnavailableError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Batch work kept for its GPU pool: the pool has no capacity now (starting from zero,
 * unhealthy, or saturated) and the work's deadline leaves time to wait for it
 * (shared/fleet/batchOverflow.ts). Retryable, but not within the call: the batching
 * core fails the items at once, and their chunk goes back to its queue to come again
 * later, instead of to the fallback.
 */
export class CapacityPendingError extends BackendUnavailableError {
  static readonly code = 'gpu_capacity_pending';
  constructor(message: string, options: { backendId?: string } = {}) {
    super(message, { code: CapacityPendingError.code, backendId: options.backendId });
    this.name = 'CapacityPendingError';
  }
}

/**
 * The backend rejected the request as invalid (4xx other than 429). Retrying the same
 * input cannot help; when it rejects a whole batch, the core splits the batch to find
 * the poison request.
 */
export class BackendRejectedError extends BackendError {
  constructor(message: string, options: { backendId?: string; cause?: unknown; code?: string; status?: number } = {}) {
    super(message, {
      code: options.code ?? 'backend_rejected_request',
      status: options.status ?? 400,
      retryable: false,
      type: 'invalid_request_error',
      backendId: options.backendId,
      cause: options.cause,
    });
    this.name = 'BackendRejectedError';
  }
}
