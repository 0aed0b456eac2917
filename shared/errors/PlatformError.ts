/**
 * The one error hierarchy of the platform. Every error a caller can see is a
 * {@link PlatformError}: it carries a stable `code`, the HTTP status it maps to, the
 * OpenAI error `type`, whether trying again may help, and the field it is about.
 * Mapping to a response happens in one place: `shared/http/openAiErrors.ts`.
 */
export type OpenAiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  /** OpenAI's 429 over a request or token rate limit names the limit as the type. */
  | 'requests'
  | 'tokens'
  /** OpenAI's 429 when the account's quota (here: the tenant's budget) is spent. */
  | 'insufficient_quota';

/** What every platform error is built from. */
export interface PlatformErrorOptions {
  code: string;
  status: number;
  type: OpenAiErrorType;
  retryable?: boolean;
  param?: string | null;
  cause?: unknown;
  /** Headers the HTTP answer carries besides the body (`retry-after`, OpenAI's `x-ratelimit-*`). */
  headers?: Record<string, string>;
}

/** Base of every error the platform raises on purpose. */
export class PlatformError extends Error {
  readonly code: string;
  readonly status: number;
  readonly type: OpenAiErrorType;
  readonly retryable: boolean;
  readonly param: string | null;
  readonly headers: Readonly<Record<string, string>>;

  constructor(message: string, options: PlatformErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PlatformError';
    this.code = options.code;
    this.status = options.status;
    this.type = options.type;
    this.retryable = options.retryable ?? false;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }
}
