import { BackendError, BackendRejectedError, BackendThrottledError, BackendUnavailableError } from '../../errors/backendErrors';
import { parseRetryAfter } from '../parseRetryAfter';

/** What the SDK attaches to the errors it throws; every field may be missing. */
interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/** Names Bedrock uses when it sheds load; ServiceQuotaExceeded is a rate quota at runtime. */
const THROTTLED = new Set(['ThrottlingException', 'ServiceQuotaExceededException', 'TooManyRequestsException']);

/**
 * Names that mean the backend, not the request, failed. ModelErrorException (424) is
 * listed here although it is a 4xx: Bedrock raises it when the model itself errors while
 * processing, and AWS advises retrying it. ModelStreamErrorException (424) is its
 * ConverseStream counterpart, raised inside a stream that had started.
 */
const UNAVAILABLE = new Set([
  'InternalServerException',
  'ServiceUnavailableException',
  'ModelNotReadyException',
  'ModelTimeoutException',
  'ModelErrorException',
  'ModelStreamErrorException',
  'AbortError',
  'TimeoutError',
]);

/** Why each rejection happened, in words an operator can act on. */
const REJECTED_REASONS: Record<string, string> = {
  ValidationException: 'Bedrock rejected the request as invalid',
  AccessDeniedException:
    'Bedrock denied access to the model: model access must be enabled in the Bedrock console for this account and region, and the role must allow bedrock:InvokeModel',
  ResourceNotFoundException: 'Bedrock does not know this model id in this region',
};

/** The context a mapping needs besides the error itself. */
export interface BedrockErrorContext {
  backendId: string | undefined;
  modelId: string;
  /** True when the provider's own timeout, not the caller, aborted the call. */
  timedOut: boolean;
}

/**
 * Translates whatever a Bedrock Runtime call threw (a modelled service exception, an
 * unmodelled HTTP error, a network or abort error) into the platform's BackendError
 * subclasses, keeping the original as `cause`. Decided by the error's `name` first and
 * its HTTP status second, because unmodelled errors only carry the status.
 */
export function mapBedrockError(error: unknown, context: BedrockErrorContext): BackendError {
  if (error instanceof BackendError) return error;
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof sdk.name === 'string' ? sdk.name : 'Error';
  const detail = typeof sdk.message === 'string' && sdk.message !== '' ? sdk.message : name;
  const status = sdk.$metadata?.httpStatusCode;
  const { backendId, modelId } = context;
  const base = { backendId, cause: error };

  if (context.timedOut) {
    return new BackendUnavailableError(`Bedrock call to ${modelId} timed out.`, { ...base, code: 'backend_timeout' });
  }
  // Names first: ModelNotReadyException comes as HTTP 429 but means the model is loading.
  if (UNAVAILABLE.has(name)) {
    const unanswered = name === 'AbortError' || name === 'TimeoutError';
    return new BackendUnavailableError(`Bedrock could not serve ${modelId} (${name}): ${detail}`, { ...base, unanswered });
  }
  if (THROTTLED.has(name) || status === 429) {
    const retryAfterMs = parseRetryAfter(sdk.$response?.headers?.['retry-after']);
    return new BackendThrottledError(`Bedrock throttled ${modelId} (${name}): ${detail}`, { ...base, retryAfterMs });
  }
  const reason = REJECTED_REASONS[name];
  if (reason !== undefined || (status !== undefined && status >= 400 && status < 500 && status !== 408)) {
    return new BackendRejectedError(`${reason ?? `Bedrock rejected the request (HTTP ${status})`} [${modelId}, ${name}]: ${detail}`, base);
  }
  // 5xx, 408, and everything without a status: network failures, DNS, resets.
  const where = status === undefined ? 'unreachable' : `failing (HTTP ${status})`;
  return new BackendUnavailableError(`Bedrock is ${where} for ${modelId} (${name}): ${detail}`, {
    ...base,
    unanswered: status === undefined,
  });
}
