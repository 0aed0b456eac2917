import { BackendRejectedError, BackendThrottledError, BackendUnavailableError } from '../../errors/backendErrors';
import type { BackendError } from '../../errors/backendErrors';
import { parseRetryAfter } from '../parseRetryAfter';

/** Where a failed request went, for messages and error context. */
export interface RequestContext {
  url: string;
  backendId: string | undefined;
}

/**
 * The server's own words from an error body. OpenAI (and current vLLM, Ollama) send
 * `{error: {message}}`; older vLLM sends `{message}` at the top level; TGI sends
 * `{error: "..."}`. Falls back to the start of the raw body.
 */
export function serverMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown } | null;
    const error = parsed?.error;
    if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
      return (error as { message: string }).message;
    }
    if (typeof error === 'string') return error;
    if (typeof parsed?.message === 'string') return parsed.message;
  } catch {
    // Not JSON: a proxy's HTML page or plain text; the raw start is the best we have.
  }
  const trimmed = body.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, 200);
}

/**
 * Maps a non-2xx answer to the platform's errors: 429 is load (honouring Retry-After);
 * 408 and 5xx are the server's fault and worth retrying elsewhere; so is 404, which from
 * a GPU server means it does not serve the model (vLLM's `NotFoundError` "The model `x`
 * does not exist.") or the route: a pool set up wrong, never the caller's fault. Any
 * other 4xx means this request will never succeed as sent.
 */
export function mapHttpFailure(
  status: number,
  header: (name: string) => string | null,
  body: string,
  context: RequestContext,
): BackendError {
  const said = serverMessage(body);
  const suffix = said === undefined ? '' : `: ${said}`;
  const options = { backendId: context.backendId, cause: new Error(`HTTP ${status} from ${context.url}${suffix}`) };
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(header('retry-after'));
    return new BackendThrottledError(`Backend ${context.backendId ?? 'endpoint'} is throttling (HTTP 429)${suffix}`, {
      ...options,
      retryAfterMs,
    });
  }
  if (status === 404) {
    return new BackendUnavailableError(
      `Backend ${context.backendId ?? 'endpoint'} does not serve this model or route (HTTP 404)${suffix}`,
      options,
    );
  }
  if (status === 408 || status >= 500) {
    return new BackendUnavailableError(`Backend ${context.backendId ?? 'endpoint'} failed (HTTP ${status})${suffix}`, options);
  }
  // The server's words only: this message can reach API callers, the internal URL must not.
  return new BackendRejectedError(said ?? `The model endpoint rejected the request (HTTP ${status}).`, options);
}

/**
 * Maps a request that got no HTTP answer (connection refused or reset, DNS, timeout,
 * caller abort) to BackendUnavailableError: the server may be fine on a later attempt
 * or another pool member may take it.
 */
export function mapTransportFailure(error: unknown, timedOut: boolean, context: RequestContext): BackendError {
  const options = { backendId: context.backendId, cause: error, unanswered: true };
  if (timedOut) {
    return new BackendUnavailableError(`Backend ${context.backendId ?? 'endpoint'} did not answer in time.`, {
      ...options,
      code: 'backend_timeout',
    });
  }
  // Duck-typed: an abort reason may be a DOMException from another realm, not an Error here.
  const named = (value: unknown) => (value ?? {}) as { name?: unknown; code?: unknown; cause?: unknown };
  if (named(error).name === 'AbortError') {
    return new BackendUnavailableError(`The request to backend ${context.backendId ?? 'endpoint'} was aborted.`, options);
  }
  // fetch wraps the socket error (ECONNREFUSED, ECONNRESET) as its `cause`; node:http throws it as is.
  const inner = named(error).cause ?? error;
  // Callers may see this message: name the socket error, not the internal address in its text.
  const code = named(inner).code;
  const detail = typeof code === 'string' ? code : 'connection failed';
  return new BackendUnavailableError(`Backend ${context.backendId ?? 'endpoint'} is unreachable (${detail}).`, options);
}
