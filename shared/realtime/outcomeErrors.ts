import type { InferenceOutput } from '../domain/inference';
import type { Outcome } from '../batchingCore/types';
import { PlatformError } from '../errors/PlatformError';

/** What a failed outcome carries. */
type FailedError = Extract<Outcome<unknown>, { status: 'failed' }>['error'];

/**
 * What a caller is told when the backends of `modelId` failed: a message of ours naming
 * the model, by code. A backend's own text (a stack, an upstream URL, a quota name) and
 * our internal backend ids (`gpu-chat:gpt-oss-20b`) never reach a caller; they stay in
 * the error's cause, which the logs carry.
 */
const BACKEND_MESSAGES: Record<string, (model: string) => string> = {
  backend_unavailable: (model) => `The model '${model}' is unavailable right now; try again.`,
  all_backends_unavailable: (model) =>
    `The model '${model}' is unavailable right now: every backend serving it is failing; try again later.`,
  backend_timeout: (model) => `The model '${model}' did not answer in time; try again.`,
  bad_backend_response: (model) =>
    `The model '${model}' gave an answer that does not fit the request (for example one that breaks a strict json_schema); try again.`,
  rate_limit_exceeded: (model) => `The model '${model}' is receiving too many requests; retry after a moment.`,
  deadline_exceeded: () => 'The request could not be served before the time limit; try again.',
  cancelled: () => 'The request was cancelled.',
};

/**
 * The message a caller (HTTP answer, batch error line, queue answer) gets for a failure
 * of code `code`, status `httpStatus`, on the model `modelId`. Failures of the backends
 * and of our own (5xx, 429) get a message of ours naming the model; a refusal of the
 * request itself (4xx, such as `backend_rejected_request`) keeps its message, which
 * says what to change.
 */
export function publicFailureMessage(error: Pick<FailedError, 'code' | 'message' | 'httpStatus'>, modelId: string): string {
  const known = BACKEND_MESSAGES[error.code];
  if (known) return known(modelId);
  if (error.httpStatus >= 500) return `The model '${modelId}' failed to answer; try again.`;
  return error.message;
}

/**
 * Turns an outcome that did not succeed into the error a caller gets. A request the
 * core could not attempt before the function's deadline is a 504 worth retrying. The
 * message is {@link publicFailureMessage}'s; the backend's own text is the cause.
 */
export function outcomeError(outcome: Exclude<Outcome<unknown>, { status: 'succeeded' }>, modelId: string): PlatformError {
  if (outcome.status === 'not_attempted') {
    return outcome.reason === 'deadline'
      ? new PlatformError(BACKEND_MESSAGES.deadline_exceeded!(modelId), {
          code: 'deadline_exceeded',
          status: 504,
          type: 'server_error',
          retryable: true,
        })
      : new PlatformError(BACKEND_MESSAGES.cancelled!(modelId), { code: 'cancelled', status: 499, type: 'server_error', retryable: true });
  }
  const { code, message, retryable, httpStatus } = outcome.error;
  const type = httpStatus === 429 ? 'rate_limit_error' : httpStatus >= 500 ? 'server_error' : 'invalid_request_error';
  const shown = publicFailureMessage(outcome.error, modelId);
  return new PlatformError(shown, {
    code,
    status: httpStatus,
    type,
    retryable,
    ...(shown === message ? {} : { cause: new Error(message) }),
  });
}

/**
 * Whether an outcome means the item was not finished rather than failed: never sent
 * before the deadline, or cut off by it (or by the caller). Such work goes back to the
 * queue, never to the error file.
 */
export function isUnfinished(outcome: Outcome<InferenceOutput>): boolean {
  if (outcome.status === 'not_attempted') return true;
  return outcome.status === 'failed' && (outcome.error.code === 'deadline_exceeded' || outcome.error.code === 'cancelled');
}
