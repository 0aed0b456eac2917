import { APIConnectionError, APIError } from 'openai';
import { EXIT, type ExitCode } from './exitCodes';

/** An error the CLI reports in one line on stderr and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A wrong command line (exit 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/** Any error as a {@link CliError}: an API error by its status, with the server's own message. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof APIConnectionError)
    return new CliError(`Could not reach the server: ${error.message}`, EXIT.unavailable, { cause: error });
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    const body = error.error as { message?: unknown; code?: unknown } | undefined;
    const detail = typeof body?.message === 'string' ? body.message : error.message;
    const code = typeof body?.code === 'string' ? ` (${body.code})` : '';
    return new CliError(`${status || 'error'}${code}: ${detail}`, exitCodeOf(status), { cause: error });
  }
  return new CliError(error instanceof Error ? error.message : String(error), EXIT.error, { cause: error });
}

/** The exit code of an HTTP status. */
export function exitCodeOf(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 429 || status >= 500 || status === 0) return EXIT.unavailable;
  return EXIT.refused;
}
