import { randomUUID } from 'node:crypto';
import type { BatchOutputLine } from '../Job';

/** A random id without dashes, as OpenAI's request ids look. */
export function randomId(): string {
  return randomUUID().replaceAll('-', '');
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
 * The error line of a request that did not produce a result.
 *
 * OpenAI's batch output puts a request the backend refused either as a `response` with a
 * 4xx/5xx `status_code` and an error body, or as a top-level `error` (what it does for
 * `batch_expired`). We always use the second form, `response: null` and `error: {code,
 * message}`, whatever the cause (invalid line, backend failure after retries, cancelled,
 * expired), as ingest does for the lines it refuses: a reader tells results from errors
 * by one field, and there is no HTTP response to report for a request never answered.
 */
export function errorLine(id: string, customId: string, code: string, message: string): BatchOutputLine {
  return { id, custom_id: customId, response: null, error: { code, message } };
}

/** Lines as a JSONL document: one JSON object per line, each ending in a newline. */
export function toJsonl(lines: readonly BatchOutputLine[]): string {
  return lines.map((line) => `${JSON.stringify(line)}\n`).join('');
}
