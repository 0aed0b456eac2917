import type * as z from 'zod';
import { describeIssues, firstIssueParam } from './SimulatorConfig';

/**
 * The simulator's one error: a face-neutral kind that each face renders in its own wire
 * shape (OpenAI `{error:{...}}`, Bedrock `x-amzn-errortype` + `{message}`), so the
 * fault and validation logic never knows which protocol it is answering.
 */

/** What went wrong, independent of the wire protocol. */
export type SimulatorErrorKind =
  | 'validation'
  | 'poison'
  | 'not_found'
  | 'too_large'
  | 'throttled'
  | 'internal'
  | 'unavailable'
  /** The client went away before the answer was complete (nobody reads this answer). */
  | 'cancelled';

/** HTTP status of each kind (both faces agree on these). */
export const STATUS_OF: Readonly<Record<SimulatorErrorKind, number>> = {
  validation: 400,
  poison: 400,
  not_found: 404,
  too_large: 413,
  throttled: 429,
  internal: 500,
  unavailable: 503,
  // nginx's "client closed request": what the stats count for an answer nobody received.
  cancelled: 499,
};

/** Extra context of a {@link SimulatorError}. */
export interface SimulatorErrorOptions {
  /** The request field at fault (OpenAI `param`). */
  param?: string | null;
  /** Machine-readable reason (OpenAI `code`). */
  code?: string | null;
  /** Sent as `Retry-After` with a throttle. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** An answer other than success, to be rendered by the face that received the request. */
export class SimulatorError extends Error {
  readonly kind: SimulatorErrorKind;
  readonly status: number;
  readonly param: string | null;
  readonly code: string | null;
  readonly retryAfterSeconds: number | undefined;

  constructor(kind: SimulatorErrorKind, message: string, options: SimulatorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SimulatorError';
    this.kind = kind;
    this.status = STATUS_OF[kind];
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * Parses `body` with `schema`, or throws a validation {@link SimulatorError} that names
 * every bad field and points `param` at the first.
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new SimulatorError('validation', describeIssues(parsed.error), { param: firstIssueParam(parsed.error), code: 'invalid_value' });
}
