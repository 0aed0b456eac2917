import { randomUUID } from 'node:crypto';
import type { OpenAiErrorBody } from './openAiError';
import type { OpenAiErrorType } from '../errors/PlatformError';

/** A line of a results or errors file, in the OpenAI batch output format. */
export interface BatchOutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string } | null;
}

/**
 * The one home of the OpenAI batch output line, as OpenAI's `BatchRequestOutput` has it
 * (`{id, custom_id, response: {status_code, request_id, body} | null, error: {code,
 * message} | null}`). Batch results and errors files, queue answers and asynchronous
 * requests all use these functions, so every way out writes the same three shapes:
 *
 * - success: `response: {status_code: 200, request_id, body}`, `error: null`;
 * - a request refused with an HTTP answer (a backend's 4xx/429/5xx after the retries, or
 *   a refusal the platform's HTTP API answers with an error status: an invalid body, an
 *   unknown model): `response: {status_code, request_id, body: {error: {message, type,
 *   param, code}}}`, `error: null` — the body is what the real-time route answers;
 * - a failure with no HTTP answer at all (a timeout, a connection failure, the deadline,
 *   a cancelled or expired batch, an input replaced or deleted, a line that is not a
 *   request): `response: null`, `error: {code, message}`.
 */

/** A random id without dashes, as OpenAI's request ids look. */
export function randomId(): string {
  return randomUUID().replaceAll('-', '');
}

/**
 * Codes of input lines that carry no request to send: the line is not JSON, not UTF-8,
 * too long, has no usable or a duplicate id, or names a url or method no route serves.
 * OpenAI reports these as batch validation errors, never as a response.
 */
export const NOT_A_REQUEST_CODES = [
  'invalid_json',
  'invalid_utf8',
  'line_too_long',
  'invalid_line',
  'missing_custom_id',
  'invalid_custom_id',
  'duplicate_custom_id',
  'invalid_url',
  'invalid_method',
] as const;

/**
 * Codes of failures that never got an HTTP answer: the request timed out or was not sent
 * (deadline, cancel, expiry, the input gone), or the line carries no request to send
 * ({@link NOT_A_REQUEST_CODES}); we keep the rest of the file running.
 */
export const UNANSWERED_CODES: ReadonlySet<string> = new Set([
  'backend_timeout',
  'deadline_exceeded',
  'cancelled',
  'batch_cancelled',
  'batch_expired',
  'file_changed',
  'file_not_found',
  ...NOT_A_REQUEST_CODES,
  'response_too_large',
  'chunk_abandoned',
]);

/** What a failed request line carries, from whichever place refused it. */
export interface LineFailure {
  code: string;
  message: string;
  /** The HTTP status the platform answers this failure with; from the code when absent. */
  status?: number;
  type?: OpenAiErrorType;
  param?: string | null;
  /** The backend call got no HTTP answer (connection failure, abort). */
  unanswered?: boolean;
}

/** The status the HTTP API answers a refusal of code `code` with, when the refusal does not say. */
export function statusOfCode(code: string): number {
  if (code === 'model_not_found' || code === 'file_not_found') return 404;
  if (code === 'rate_limit_exceeded') return 429;
  if (code === 'deadline_exceeded') return 504;
  if (code === 'cancelled') return 499;
  if (
    code === 'backend_unavailable' ||
    code === 'all_backends_unavailable' ||
    code === 'backend_timeout' ||
    code === 'bad_backend_response'
  ) {
    return 503;
  }
  if (code === 'internal_error') return 500;
  return 400;
}

/** The OpenAI error `type` of a status, as `shared/http/openAiErrors.ts` answers it. */
function typeOfStatus(status: number): OpenAiErrorType {
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Whether a failure is reported in the line's top-level `error` (no HTTP answer) rather than as a response. */
export function isUnanswered(failure: Pick<LineFailure, 'code' | 'unanswered'>): boolean {
  return failure.unanswered === true || UNANSWERED_CODES.has(failure.code);
}

/**
 * The result line of a request that succeeded. `id` is the line's `batch_req_…` id
 * (`batchRequestId`, the same on every delivery); the body is exactly what the
 * real-time API answers the same request with.
 */
export function resultLine(id: string, customId: string, body: unknown, requestId: string): BatchOutputLine {
  return { id, custom_id: customId, response: { status_code: 200, request_id: requestId, body }, error: null };
}

/**
 * The line of a request that did not produce a result: a `response` carrying the status
 * and OpenAI error body the HTTP API would have answered with, or, for a failure that
 * had no HTTP answer ({@link isUnanswered}), `response: null` and `error: {code, message}`.
 */
export function failureLine(id: string, customId: string, failure: LineFailure, requestId: string): BatchOutputLine {
  if (isUnanswered(failure)) return { id, custom_id: customId, response: null, error: { code: failure.code, message: failure.message } };
  const status = failure.status ?? statusOfCode(failure.code);
  const body: OpenAiErrorBody = {
    error: { message: failure.message, type: failure.type ?? typeOfStatus(status), param: failure.param ?? null, code: failure.code },
  };
  return { id, custom_id: customId, response: { status_code: status, request_id: requestId, body }, error: null };
}

/** Whether a line is a success (a 200 response). */
export function isResultLine(line: BatchOutputLine): boolean {
  return line.error === null && line.response !== null && line.response.status_code >= 200 && line.response.status_code < 300;
}

/** The code and message of a failed line, whichever shape it has; undefined for a success. */
export function failureOfLine(line: BatchOutputLine): { code: string; message: string; status?: number } | undefined {
  if (line.error) return line.error;
  if (!line.response || isResultLine(line)) return line.response ? undefined : { code: 'internal_error', message: 'No response.' };
  const error = (line.response.body as Partial<OpenAiErrorBody> | null)?.error;
  return {
    code: error?.code ?? 'internal_error',
    message: error?.message ?? `HTTP ${line.response.status_code}`,
    status: line.response.status_code,
  };
}

/** Lines as a JSONL document: one JSON object per line, each ending in a newline. */
export function toJsonl(lines: readonly unknown[]): string {
  return lines.map((line) => `${JSON.stringify(line)}\n`).join('');
}
