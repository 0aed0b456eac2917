import { PlatformError } from '../errors/PlatformError';

/** Which limit a refused request hit. */
export type LimitKind = 'requests' | 'tokens' | 'concurrent';

/**
 * A key or tenant is over a rate limit (429 `rate_limit_exceeded`, as OpenAI answers it:
 * the error's `type` names the limit, `requests` or `tokens`; a concurrency limit is a
 * `requests` one). Carries `retry-after` and the `x-ratelimit-*` headers.
 */
export class RateLimitExceededError extends PlatformError {
  readonly limit: LimitKind;
  readonly scope: 'key' | 'tenant';
  constructor(message: string, options: { limit: LimitKind; scope: 'key' | 'tenant'; headers: Record<string, string> }) {
    super(message, {
      code: 'rate_limit_exceeded',
      status: 429,
      type: options.limit === 'tokens' ? 'tokens' : 'requests',
      retryable: true,
      headers: options.headers,
    });
    this.name = 'RateLimitExceededError';
    this.limit = options.limit;
    this.scope = options.scope;
  }
}

/**
 * The tenant's monthly budget is spent (429 `insufficient_quota`, as OpenAI answers an
 * account over its quota). Trying again does not help until the month turns or the budget
 * is raised, so the answer says `x-should-retry: false` (which the `openai` clients obey).
 */
export class QuotaExceededError extends PlatformError {
  constructor(message: string, headers: Record<string, string> = {}) {
    super(message, {
      code: 'insufficient_quota',
      status: 429,
      type: 'insufficient_quota',
      retryable: false,
      headers: { ...headers, 'x-should-retry': 'false' },
    });
    this.name = 'QuotaExceededError';
  }
}
